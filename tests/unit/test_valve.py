"""The liquidity valve: htlc_maximum_msat follows a scarce balance, with hysteresis, per channel."""

from __future__ import annotations

from dataclasses import replace

from mcp_lightning.config import load_engine_config
from mcp_lightning.domain.channel import HtlcDirection, PendingHtlc
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.decide import evaluate_channel
from mcp_lightning.engine.engine_config import ValveRules
from mcp_lightning.engine.peer_groups import evaluate_all
from mcp_lightning.engine.safety import SafetyState, check_decision
from mcp_lightning.engine.valve import open_limit_msat, spendable_msat, valve
from mcp_lightning.units import Msat, Ppm, Sat
from tests.engine_factories import NOW, PEER_PUBKEY, make_channel, make_context, make_flows, make_policy

RULES = ValveRules()
BALANCED = load_engine_config(profile="balanced")


def test_spendable_is_local_less_the_one_percent_reserve_and_pending_htlcs() -> None:
    channel = make_channel(0.10, pending_htlcs=(PendingHtlc(HtlcDirection.OUT, Msat(20_000_000), 900_000),
                                                      PendingHtlc(HtlcDirection.IN, Msat(70_000_000), 900_000),))
    # 5,000,000 sat capacity: 500,000 local - 50,000 reserve - 20,000 in flight out (incoming ones take nothing)
    assert spendable_msat(channel) == 430_000_000
    assert spendable_msat(make_channel(0.005)) == 0  # below the reserve: nothing can leave
    assert open_limit_msat(channel) == 4_950_000_000


def test_a_drained_channel_lowers_its_limit_to_half_of_what_can_leave() -> None:
    verdict = valve(make_channel(0.10), RULES)  # announced 4,950,000 sat > 450,000 sat spendable
    assert verdict is not None
    assert verdict.max_htlc_msat == 225_000_000  # 0.5 x 450,000 sat
    assert "lowered to 225,000 sat" in verdict.reason


def test_an_empty_channel_keeps_only_the_htlc_minimum() -> None:
    verdict = valve(make_channel(0.0), RULES)
    assert verdict is not None and verdict.max_htlc_msat == 1000  # the policy's min_htlc_msat


def test_the_limit_moves_only_when_the_balance_halves_or_doubles() -> None:
    def at(local_ratio: float, announced_msat: int):  # type: ignore[no-untyped-def]
        channel = make_channel(local_ratio, local_policy=make_policy(max_htlc_msat=Msat(announced_msat)))
        return valve(channel, RULES)

    # announced 225,000 sat, spendable 450,000: leave it
    assert at(0.10, 225_000_000) is None
    # spendable 200,000 sat (5 %): 225,000 is more than can leave -> lower to 100,000
    lowered = at(0.05, 225_000_000)
    assert lowered is not None and lowered.max_htlc_msat == 100_000_000
    # spendable 700,000 sat (15 %): wanted 350,000 < 2 x 225,000 -> leave it
    assert at(0.15, 225_000_000) is None
    # spendable 950,000 sat (20 %): wanted 475,000 >= 2 x 225,000 -> raise
    raised = at(0.20, 225_000_000)
    assert raised is not None and raised.max_htlc_msat == 475_000_000


def test_a_refilled_channel_opens_its_limit_again() -> None:
    channel = make_channel(0.6, local_policy=make_policy(max_htlc_msat=Msat(100_000_000)))
    verdict = valve(channel, RULES)
    assert verdict is not None and verdict.max_htlc_msat == open_limit_msat(channel)
    # a healthy channel with an open limit is left alone
    assert valve(make_channel(0.6), RULES) is None


def test_the_open_limit_never_exceeds_what_the_node_will_announce() -> None:
    """A peer that accepts at most 2,000,000 sat in flight caps the open limit (LND refuses more, CLN caps it)."""
    channel = make_channel(0.6, local_policy=make_policy(max_htlc_msat=Msat(100_000_000)),
                           max_htlc_ceiling_msat=Msat(2_000_000_000))
    assert open_limit_msat(channel) == 2_000_000_000
    verdict = valve(channel, RULES)
    assert verdict is not None and verdict.max_htlc_msat == 2_000_000_000
    drained = make_channel(0.02, max_htlc_ceiling_msat=Msat(2_000_000_000))  # announced 4,950,000 sat
    lowered = valve(drained, RULES)
    assert lowered is not None and lowered.max_htlc_msat == 25_000_000  # 0.5 x (100,000 - 50,000) sat


def test_the_valve_leaves_inactive_private_unknown_and_disabled_cases_alone() -> None:
    drained = make_channel(0.05)
    assert valve(replace(drained, active=False), RULES) is None
    assert valve(replace(drained, private=True), RULES) is None
    assert valve(replace(drained, local_policy=None), RULES) is None
    assert valve(drained, ValveRules(enabled=False)) is None


def test_a_decision_carries_the_valve_beside_its_fee_change() -> None:
    ctx = make_context(channel=make_channel(0.05, local_policy=make_policy(fee_rate_ppm=Ppm(200))),
                       flows=make_flows(n_out_7d=20))
    decision = evaluate_channel(ctx, BALANCED, NOW)
    assert decision.decision is DecisionType.INCREASE_FEES
    assert decision.proposed is not None
    assert decision.proposed.fee_rate_ppm > 200
    assert decision.proposed.max_htlc_msat == 100_000_000  # 0.5 x (250,000 - 50,000) sat
    assert "HTLC limit lowered" in decision.reasons[1]
    # the safety chain lets a change through when only the limit moves
    balanced_ctx = make_context(channel=make_channel(0.6, local_policy=make_policy(max_htlc_msat=Msat(1_000_000))))
    only_limit = evaluate_channel(balanced_ctx, BALANCED, NOW)
    assert only_limit.decision is DecisionType.NO_ACTION
    assert only_limit.proposed is not None and only_limit.proposed.fee_rate_ppm == 500
    verdict = check_decision(only_limit, SafetyState(BALANCED.safety, NOW, {}))
    assert verdict.proposed is not None and verdict.proposed.max_htlc_msat == 4_950_000_000


def test_parallel_channels_share_the_fee_but_each_gets_its_own_limit() -> None:
    full = make_channel(0.9, scid=None, chan_id=11, capacity_sat=Sat(2_000_000))
    drained = make_channel(0.04, scid=None, chan_id=12, capacity_sat=Sat(2_000_000))
    contexts = [make_context(channel=full), make_context(channel=drained)]
    first, second = evaluate_all(contexts, BALANCED, NOW)
    assert first.peer_pubkey == second.peer_pubkey == PEER_PUBKEY
    assert first.proposed is None  # 90 % local with an open limit: nothing to change
    assert second.proposed is not None
    assert second.proposed.max_htlc_msat == 30_000_000  # 0.5 x (80,000 - 20,000) sat


def test_reports_show_the_htlc_limit_beside_the_fee_and_count_the_valves_changes() -> None:
    """The proposed cell names a moved limit in sat; a fee-only change stays as it was; REBALANCE keeps its text."""
    from mcp_lightning.domain.decision import RebalanceDirection, RebalanceSuggestion
    from mcp_lightning.engine.plan import SafetyResult, Verdict
    from mcp_lightning.reporting.cells import htlc_limit_changes, proposed_fee
    from tests.factories import make_decision, make_planned
    from tests.factories import make_policy as stored_policy

    fee_only = make_planned()
    valve_only = make_planned(decision=make_decision(decision=DecisionType.NO_ACTION,
                                                     proposed=stored_policy(max_htlc_msat=Msat(225_000_000))))
    rebalance = make_decision(decision=DecisionType.REBALANCE, proposed=stored_policy(max_htlc_msat=Msat(1_000)),
                              rebalance=RebalanceSuggestion(Sat(2_000_000), RebalanceDirection.PULL_IN, 0.5))
    held = make_planned(decision=rebalance, safety=SafetyResult(Verdict.REJECTED, rule="cooldown", reason="..."))
    assert proposed_fee(fee_only) == "1000/650"
    assert proposed_fee(valve_only) == "1000/500, max HTLC 225,000 sat"
    assert proposed_fee(held) == "pull_in 2,000,000 sat; held (cooldown)"
    assert htlc_limit_changes([fee_only, valve_only, held]) == 1
