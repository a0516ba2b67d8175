"""The safety chain: each rule, the chain order, and universal properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import Verdict
from mcp_lightning.engine.safety import (
    CHAIN,
    Proposal,
    Rejection,
    SafetyState,
    blacklist,
    bounds,
    check_decision,
    cooldown,
    daily_cap,
    min_delta,
    pinned,
    run_chain,
)
from mcp_lightning.units import Msat, Ppm
from tests.engine_factories import NOW, PEER_PUBKEY, make_policy

CHAN = 880_000 << 40


def proposal(old_ppm: int = 500, new_ppm: int = 600, **policy_overrides) -> Proposal:  # type: ignore[no-untyped-def]
    """A change of fee_rate_ppm from old to new."""
    current = make_policy(fee_rate_ppm=Ppm(old_ppm))
    return Proposal(CHAN, PEER_PUBKEY, current, replace(current, fee_rate_ppm=Ppm(new_ppm), **policy_overrides))


DEFAULT_LIMITS = SafetyLimits()


def state(limits: SafetyLimits = DEFAULT_LIMITS, changes=()) -> SafetyState:  # type: ignore[no-untyped-def]
    """Safety state at NOW with the given recent change times for CHAN."""
    return SafetyState(limits, NOW, {CHAN: tuple(changes)})


def test_chain_order_is_documented_order() -> None:
    """Rules run as the module documents: blacklist, pinned, bounds, min_delta, cooldown, daily_cap."""
    assert [r.__name__ for r in CHAIN] == ["blacklist", "pinned", "bounds", "min_delta", "cooldown", "daily_cap"]


def test_blacklisted_channel_is_rejected() -> None:
    """A blacklisted channel id is never changed."""
    result = blacklist(proposal(), state(SafetyLimits(blacklist_chan_ids=frozenset({CHAN}))))
    assert isinstance(result, Rejection) and result.rule == "blacklist"


def test_blacklisted_peer_is_rejected() -> None:
    """Channels of a blacklisted peer are never changed."""
    result = blacklist(proposal(), state(SafetyLimits(blacklist_peers=frozenset({PEER_PUBKEY}))))
    assert isinstance(result, Rejection) and "Peer" in result.reason


def test_pinned_channel_and_peer_are_rejected() -> None:
    """Pinned channels and peers keep their fee."""
    for limits in (SafetyLimits(pinned_chan_ids={CHAN: 100}), SafetyLimits(pinned_peers={PEER_PUBKEY: 100})):
        result = pinned(proposal(), state(limits))
        assert isinstance(result, Rejection) and "pinned at 100 ppm" in result.reason


def test_bounds_clamp_to_max_fee_rate() -> None:
    """A proposal above max_fee_rate_ppm is clamped to it with a note."""
    result = bounds(proposal(4000, 5500), state(SafetyLimits(max_fee_rate_ppm=5000)))
    assert isinstance(result, Proposal) and result.proposed.fee_rate_ppm == 5000 and result.notes


def test_bounds_clamp_a_step_to_fifty_percent() -> None:
    """A jump from 500 to 2000 ppm becomes 750 ppm (+50 %)."""
    result = bounds(proposal(500, 2000), state())
    assert isinstance(result, Proposal) and result.proposed.fee_rate_ppm == 750


def test_bounds_let_a_zero_fee_rise_by_the_floor() -> None:
    """A 0 ppm fee can still rise by max_change_floor_ppm."""
    result = bounds(proposal(0, 100), state())
    assert isinstance(result, Proposal) and result.proposed.fee_rate_ppm == 10


def test_bounds_clamp_base_fee() -> None:
    """A base fee over the maximum is clamped."""
    result = bounds(proposal(500, 600, base_fee_msat=Msat(9000)), state())
    assert isinstance(result, Proposal) and result.proposed.base_fee_msat == 5000


def test_bounds_reject_when_no_value_satisfies_bounds_and_step() -> None:
    """A fee far above the maximum that one step cannot bring inside the bounds is rejected."""
    result = bounds(proposal(20_000, 15_000), state(SafetyLimits(max_fee_rate_ppm=5000)))
    assert isinstance(result, Rejection) and result.rule == "bounds" and "20000 ppm" in result.reason


def test_skips_change_below_min_delta() -> None:
    """A 2 ppm change of a 500 ppm fee is not worth a gossip update."""
    result = min_delta(proposal(500, 502), state())
    assert isinstance(result, Rejection) and result.rule == "min_delta"


def test_small_absolute_change_of_a_small_fee_passes_min_delta() -> None:
    """4 ppm on a 10 ppm fee is a 40 % change and passes."""
    assert isinstance(min_delta(proposal(10, 14), state()), Proposal)


def test_cooldown_rejects_a_change_within_sixty_minutes() -> None:
    """A channel changed 30 minutes ago waits."""
    result = cooldown(proposal(), state(changes=[NOW - timedelta(minutes=30)]))
    assert isinstance(result, Rejection) and result.rule == "cooldown"
    assert isinstance(cooldown(proposal(), state(changes=[NOW - timedelta(minutes=61)])), Proposal)


def test_daily_cap_rejects_the_sixth_change_in_a_day() -> None:
    """Five changes in 24 h block a sixth; changes older than a day do not count."""
    five = [NOW - timedelta(hours=h) for h in (2, 5, 8, 11, 14)]
    assert isinstance(daily_cap(proposal(), state(changes=five)), Rejection)
    old = [NOW - timedelta(hours=h) for h in (2, 5, 8, 11, 30)]
    assert isinstance(daily_cap(proposal(), state(changes=old)), Proposal)


def test_chain_stops_at_the_first_rejection() -> None:
    """A blacklisted channel in cooldown is reported as blacklisted."""
    limits = SafetyLimits(blacklist_chan_ids=frozenset({CHAN}))
    result = run_chain(proposal(), state(limits, [NOW - timedelta(minutes=1)]))
    assert isinstance(result, Rejection) and result.rule == "blacklist"


def test_check_decision_is_not_applicable_without_a_proposal() -> None:
    """A decision that proposes nothing is not applicable."""
    from tests.engine_factories import make_context
    from tests.unit.test_decide import decide

    assert check_decision(decide(make_context()), state()).verdict is Verdict.NOT_APPLICABLE


@given(
    old=st.integers(0, 200_000),
    new=st.integers(0, 4_294_967_295),
    base=st.integers(0, 10_000_000),
    lo=st.integers(0, 2000),
    span=st.integers(0, 20_000),
    ratio=st.floats(0.01, 2.0),
)
def test_an_allowed_proposal_never_leaves_bounds_nor_exceeds_the_step(
    old: int, new: int, base: int, lo: int, span: int, ratio: float
) -> None:
    """Whatever comes in, what passes lies within [min, max] and within one step of the current fee."""
    limits = SafetyLimits(
        min_fee_rate_ppm=lo, max_fee_rate_ppm=lo + span, max_change_ratio=ratio, min_delta_ppm=0, min_delta_ratio=0.0
    )
    result = run_chain(proposal(old, new, base_fee_msat=Msat(base)), state(limits))
    if isinstance(result, Proposal):
        fee = result.proposed.fee_rate_ppm
        assert limits.min_fee_rate_ppm <= fee <= limits.max_fee_rate_ppm
        assert abs(fee - old) <= max(limits.max_change_floor_ppm, old * ratio)
        assert limits.min_base_fee_msat <= result.proposed.base_fee_msat <= limits.max_base_fee_msat


@given(old=st.integers(0, 100_000), new=st.integers(0, 100_000))
def test_the_chain_is_deterministic(old: int, new: int) -> None:
    """The same proposal and state always give the same outcome."""
    assert run_chain(proposal(old, new), state()) == run_chain(proposal(old, new), state())
