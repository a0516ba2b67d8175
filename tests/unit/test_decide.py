"""evaluate_channel: every decision reachable, the economics of direction, profiles, determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_lightning.config import load_engine_config
from mcp_lightning.domain.context import FlowWindow
from mcp_lightning.domain.decision import DecisionType, RebalanceDirection
from mcp_lightning.engine.decide import evaluate_channel
from mcp_lightning.engine.peer_groups import evaluate_all
from mcp_lightning.engine.rules import RULES
from mcp_lightning.units import Msat, Ppm
from tests.engine_factories import (
    NOW,
    idle_flows,
    make_channel,
    make_context,
    make_flows,
    make_peer,
    make_policy,
    make_topology,
)

BALANCED = load_engine_config(profile="balanced")
CONSERVATIVE = load_engine_config(profile="conservative")
AGGRESSIVE = load_engine_config(profile="aggressive")


def decide(ctx, config=BALANCED):  # type: ignore[no-untyped-def]
    """Evaluate at the factories' NOW."""
    return evaluate_channel(ctx, config, NOW)


def depleted_in_demand(fee_ppm: int = 200):  # type: ignore[no-untyped-def]
    """5 % local, 20 forwards out in 7 days."""
    return make_context(
        channel=make_channel(0.05, local_policy=make_policy(fee_rate_ppm=Ppm(fee_ppm))), flows=make_flows(n_out_7d=20)
    )


def saturated_idle(fee_ppm: int):  # type: ignore[no-untyped-def]
    """95 % local, no forward for 10 days."""
    return make_context(
        channel=make_channel(0.95, local_policy=make_policy(fee_rate_ppm=Ppm(fee_ppm))),
        flows=idle_flows(),
        last_forward_at=NOW - timedelta(days=10),
    )


def dead_channel():  # type: ignore[no-untyped-def]
    """Old, idle for its whole history, nearly empty, peer offline, priced at 10x the market."""
    return make_context(
        channel=make_channel(
            0.02,
            active=False,
            local_policy=make_policy(fee_rate_ppm=Ppm(5000)),
            remote_policy=make_policy(disabled=True),
        ),
        flows=idle_flows(),
        last_forward_at=None,
        block_height=1_000_000,
        peer=make_peer(degree=4, capacity_sat=6_000_000, n_competitors=3, n_disabled_towards=4),
        peer_topology=make_topology(0.0),
    )


def test_healthy_balanced_channel_needs_no_action() -> None:
    """A busy, balanced channel priced at the competitors' median is left alone."""
    decision = decide(make_context())
    assert decision.decision is DecisionType.NO_ACTION
    assert decision.composite_score >= 0.7 and decision.proposed is None
    assert "optimal band" in decision.reasons[0]


def test_scarce_outbound_in_demand_raises_fees() -> None:
    """Depleted outbound liquidity that is in demand is priced up."""
    decision = decide(depleted_in_demand(200))
    assert decision.decision is DecisionType.INCREASE_FEES
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm > 200
    assert "scarce" in decision.reasons[0]


def test_scarce_outbound_in_demand_keeps_rising_above_the_competitors() -> None:
    """Demand at our price is the evidence that the price holds: a fee above the p75 still rises."""
    decision = decide(depleted_in_demand(3000))
    assert decision.decision is DecisionType.INCREASE_FEES
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm > 3000


def test_scarce_outbound_at_the_ceiling_is_rebalanced_in() -> None:
    """At the safety ceiling the free lever is spent: refill instead."""
    decision = decide(depleted_in_demand(BALANCED.safety.max_fee_rate_ppm))
    assert decision.decision is DecisionType.REBALANCE
    assert decision.rebalance is not None and decision.rebalance.direction is RebalanceDirection.PULL_IN
    assert decision.rebalance.amount_sat == 5_000_000 // 2 - 250_000


def test_scarce_liquidity_is_priced_with_the_dearest_quarter() -> None:
    """Depleted and cheap, with no settled demand (a depleted channel cannot show it): raise towards the p75."""
    ctx = make_context(channel=make_channel(0.05, local_policy=make_policy(fee_rate_ppm=Ppm(200))), flows=idle_flows(),
                       last_forward_at=NOW - timedelta(days=10))
    decision = decide(ctx)
    assert decision.decision is DecisionType.INCREASE_FEES, decision.reasons
    assert decision.proposed is not None and 200 < decision.proposed.fee_rate_ppm <= 1000
    assert "below the p75" in decision.reasons[0]


def test_depleted_without_demand_and_priced_high_is_left_alone() -> None:
    """Depleted, no outbound demand, fee at the competitors' p75: a refill would not pay."""
    channel = make_channel(0.05, local_policy=make_policy(fee_rate_ppm=Ppm(1000)))
    ctx = make_context(channel=channel, flows=idle_flows(), last_forward_at=NOW - timedelta(days=10))
    decision = decide(ctx)
    assert decision.decision is DecisionType.NO_ACTION and "no outbound demand" in decision.reasons[0]


def test_a_fee_changed_recently_is_not_cut_yet() -> None:
    """An idle, dear fee set 2 days ago has not had its cut_wait_days (7) to meet demand: no cut yet."""
    ctx = saturated_idle(2000)
    recent = replace(ctx.channel.local_policy, last_update_at=NOW - timedelta(days=2))
    decision = decide(replace(ctx, channel=replace(ctx.channel, local_policy=recent)))
    assert decision.decision is DecisionType.NO_ACTION, decision.reasons
    aged = replace(recent, last_update_at=NOW - timedelta(days=8))
    assert decide(replace(ctx, channel=replace(ctx.channel, local_policy=aged))).decision is DecisionType.DECREASE_FEES


def test_idle_liquidity_priced_above_competitors_lowers_fees() -> None:
    """A month-idle, saturated channel priced above the competitors' p75 is cut, not below their median."""
    decision = decide(saturated_idle(2000))
    assert decision.decision is DecisionType.DECREASE_FEES
    assert decision.proposed is not None and 500 <= decision.proposed.fee_rate_ppm < 2000


def test_a_quiet_week_does_not_cut_fees() -> None:
    """Saturated and priced above the p75, with no forward out in 7 days but some in 30: no cut."""
    flows = (FlowWindow(1), FlowWindow(7), FlowWindow(30, n_out=3, amount_out_msat=Msat(600_000_000)))
    ctx = replace(saturated_idle(2000), flows=flows)
    decision = decide(ctx)
    assert decision.decision is DecisionType.NO_ACTION, decision.reasons
    assert "30 d" in decision.reasons[0]


@pytest.mark.parametrize("fee_ppm", [300, 800])
def test_idle_liquidity_priced_within_the_market_is_pushed_out(fee_ppm: int) -> None:
    """Idle local liquidity priced at or below the competitors' p75 is rebalanced out, not cut."""
    decision = decide(saturated_idle(fee_ppm))
    assert decision.decision is DecisionType.REBALANCE
    assert decision.rebalance is not None and decision.rebalance.direction is RebalanceDirection.PUSH_OUT


def test_dead_mature_channel_is_proposed_for_closing() -> None:
    """A mature channel with no forward in its history and a very low score is proposed for closing."""
    decision = decide(dead_channel())
    assert decision.decision is DecisionType.CLOSE_CHANNEL, decision.reasons
    assert decision.composite_score < 0.1 and decision.close_reason


def test_young_idle_channel_is_not_closed() -> None:
    """A dead-looking channel younger than close_min_age_blocks is not proposed for closing."""
    decision = decide(replace(dead_channel(), block_height=880_000 + 100))
    assert decision.decision is not DecisionType.CLOSE_CHANNEL


def test_underpriced_channel_with_flow_raises_towards_the_median() -> None:
    """A mid-balance, poorly scored channel with demand priced below the median is raised, not past it."""
    ctx = make_context(
        channel=make_channel(0.35, local_policy=make_policy(fee_rate_ppm=Ppm(20))),
        flows=make_flows(n_out_7d=1, n_in_7d=0, amount_msat=1_000_000),
        peer_topology=make_topology(0.05),
        block_height=881_000,
    )
    decision = decide(ctx)
    assert decision.decision is DecisionType.INCREASE_FEES, decision.reasons
    assert decision.proposed is not None and 20 < decision.proposed.fee_rate_ppm <= 500


@pytest.mark.parametrize("fee_ppm", [400, 499])
def test_flowing_channel_below_the_median_is_raised_towards_it(fee_ppm: int) -> None:
    """A healthy, flowing channel priced under the competitors' median is raised one step, not past it."""
    decision = decide(make_context(channel=make_channel(0.5, local_policy=make_policy(fee_rate_ppm=Ppm(fee_ppm)))))
    assert decision.decision is DecisionType.INCREASE_FEES, decision.reasons
    one_step = max(fee_ppm + BALANCED.steps.min_step_ppm, min(round(fee_ppm * 1.15), 500))
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm == one_step


def test_inactive_channel_gets_no_action_with_the_reason() -> None:
    """An inactive channel is not touched, whatever its balance."""
    decision = decide(make_context(channel=make_channel(0.05, active=False), flows=make_flows(n_out_7d=20)))
    assert decision.decision is DecisionType.NO_ACTION and "inactive" in decision.reasons[0]


def test_unknown_policy_gets_no_action() -> None:
    """Without our own policy there is nothing to adjust."""
    decision = decide(make_context(channel=make_channel(0.05, local_policy=None), flows=make_flows(n_out_7d=20)))
    assert decision.decision is DecisionType.NO_ACTION and "unknown" in decision.reasons[0]


def test_too_little_history_gets_no_action() -> None:
    """Two days of history are not enough to act on a fee at or above the market median."""
    decision = decide(replace(depleted_in_demand(600), history_days=2.0))
    assert decision.decision is DecisionType.NO_ACTION and "history" in decision.reasons[0]


def test_a_new_node_below_the_market_starts_at_the_median_in_bounded_steps() -> None:
    """No history, 10 ppm against a 500 ppm median: propose 500; the safety chain makes it 20 (+10 ppm floor)."""
    from mcp_lightning.domain.channel import ShortChannelId
    from mcp_lightning.engine.safety import SafetyState, check_decision

    young = make_channel(0.5, scid=ShortChannelId(904_990, 7, 0), local_policy=make_policy(fee_rate_ppm=Ppm(10)))
    ctx = replace(make_context(channel=young, flows=idle_flows(), last_forward_at=None), history_days=0.0)
    # an old channel seen without history (LNbits exposes no forwards) is not a new node: no action
    old = replace(ctx, channel=make_channel(0.5, local_policy=make_policy(fee_rate_ppm=Ppm(10))))
    assert decide(old).decision is DecisionType.NO_ACTION
    decision = decide(ctx)
    assert decision.decision is DecisionType.INCREASE_FEES
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm == 500
    assert "start at the market" in decision.reasons[0]
    safety = check_decision(decision, SafetyState(BALANCED.safety, NOW, {}))
    assert safety.proposed is not None and safety.proposed.fee_rate_ppm == 20


def test_channel_absent_from_graph_is_still_evaluated_with_lower_confidence() -> None:
    """A channel missing from the graph gets a decision whose reasons mention the missing data."""
    in_graph = decide(depleted_in_demand())
    absent = decide(replace(depleted_in_demand(), in_graph=False, peer=None, peer_topology=None))
    assert absent.decision is DecisionType.INCREASE_FEES
    assert absent.confidence < in_graph.confidence
    assert any("not in the graph" in s.reason for s in absent.scores)


def test_stale_graph_lowers_confidence() -> None:
    """A graph older than stale_graph_days lowers confidence."""
    assert (
        decide(replace(depleted_in_demand(), graph_age_days=120)).confidence < decide(depleted_in_demand()).confidence
    )


def test_every_decision_type_is_reachable() -> None:
    """The realistic contexts above reach all five decision types."""
    reached = {
        decide(c).decision
        for c in (
            make_context(),
            depleted_in_demand(200),
            depleted_in_demand(5000),
            saturated_idle(2000),
            dead_channel(),
        )
    }
    assert reached == set(DecisionType)


def test_rule_table_ends_with_a_catch_all() -> None:
    """The last rule matches anything, so every channel gets a decision."""
    assert RULES[-1].name == "acceptable"


def test_aggressive_steps_further_than_balanced_and_balanced_further_than_conservative() -> None:
    """On the same channel, the proposed increase grows from conservative to balanced to aggressive."""
    proposals = [decide(depleted_in_demand(200), cfg).proposed for cfg in (CONSERVATIVE, BALANCED, AGGRESSIVE)]
    fees = [p.fee_rate_ppm for p in proposals if p is not None]
    assert len(fees) == 3 and 200 < fees[0] < fees[1] < fees[2]


def test_aggressive_acts_on_imbalances_conservative_ignores() -> None:
    """A 17 % local channel in demand is depleted for balanced and aggressive, not for conservative."""
    ctx = make_context(
        channel=make_channel(0.17, local_policy=make_policy(fee_rate_ppm=Ppm(600))), flows=make_flows(n_out_7d=20)
    )
    assert decide(ctx, CONSERVATIVE).decision is DecisionType.NO_ACTION
    assert decide(ctx, BALANCED).decision is DecisionType.INCREASE_FEES
    assert decide(ctx, AGGRESSIVE).decision is DecisionType.INCREASE_FEES


def test_confidence_and_composite_are_in_unit_range_for_every_example() -> None:
    """Confidence and composite stay in [0, 1]."""
    for ctx in (make_context(), depleted_in_demand(), saturated_idle(2000), dead_channel()):
        d = decide(ctx)
        assert 0 <= d.confidence <= 1 and 0 <= d.composite_score <= 1
        assert {s.name for s in d.scores} == {h.heuristic.name for h in BALANCED.heuristics}


@given(ratio=st.floats(0, 1), n_out=st.integers(0, 100), fee=st.integers(0, 20_000), rank=st.floats(0, 1))
def test_evaluation_is_deterministic(ratio: float, n_out: int, fee: int, rank: float) -> None:
    """The same context, config and time always give an identical decision."""
    ctx = make_context(
        channel=make_channel(ratio, local_policy=make_policy(fee_rate_ppm=Ppm(fee))),
        flows=make_flows(n_out_7d=n_out),
        peer_topology=make_topology(rank),
    )
    assert decide(ctx) == decide(ctx)


def test_parallel_channels_to_one_peer_get_one_coherent_decision() -> None:
    """Two channels to the same peer get the same decision and the same new fee."""
    from mcp_lightning.domain.channel import ShortChannelId

    a = make_context(
        channel=make_channel(0.05, scid=ShortChannelId(880_000, 1, 0), local_policy=make_policy(fee_rate_ppm=Ppm(200))),
        flows=make_flows(n_out_7d=20),
    )
    b = make_context(
        channel=make_channel(
            0.10,
            scid=ShortChannelId(880_001, 2, 0),
            capacity_sat=2_000_000,
            local_policy=make_policy(fee_rate_ppm=Ppm(250)),
        ),
        flows=make_flows(n_out_7d=0, n_in_7d=0),
    )
    decisions = evaluate_all([a, b], BALANCED, NOW)
    assert [d.decision for d in decisions] == [DecisionType.INCREASE_FEES] * 2
    assert decisions[0].proposed is not None and decisions[1].proposed is not None
    assert decisions[0].proposed.fee_rate_ppm == decisions[1].proposed.fee_rate_ppm
    assert [d.chan_id for d in decisions] == [a.channel.chan_id, b.channel.chan_id]
    assert "2 channels with this peer" in decisions[1].reasons[-1]


@pytest.mark.parametrize("ratio", [0.05, 0.95])
def test_imbalanced_channels_are_judged_on_balance_whatever_the_composite(ratio: float) -> None:
    """A strongly imbalanced channel never gets the 'healthy' verdict."""
    ctx = make_context(channel=make_channel(ratio), flows=make_flows(n_out_7d=0 if ratio > 0.5 else 20))
    assert "optimal band" not in decide(ctx).reasons[0]


@given(ratio=st.floats(0, 1), n_out_7d=st.integers(0, 30), fee=st.integers(0, 6_000))
def test_cuts_stop_at_the_competitors_median_and_raises_need_demand_or_scarcity(
    ratio: float, n_out_7d: int, fee: int
) -> None:
    """A cut stops at the reference median (or one min step); a raise needs demand or scarce, cheap liquidity."""
    ctx = make_context(
        channel=make_channel(ratio, local_policy=make_policy(fee_rate_ppm=Ppm(fee))),
        flows=make_flows(n_out_7d=n_out_7d) if n_out_7d else idle_flows(),
    )
    decision = decide(ctx)
    if decision.decision is DecisionType.DECREASE_FEES:
        assert decision.proposed is not None
        assert decision.proposed.fee_rate_ppm >= min(500, fee - BALANCED.steps.min_step_ppm)
    if decision.decision is DecisionType.INCREASE_FEES:
        scarce_and_cheap = ratio < BALANCED.liquidity.low_local_ratio and fee < 1000
        assert n_out_7d >= BALANCED.data.demand_min_forwards_7d or scarce_and_cheap


def test_the_documented_table_lists_the_rules_in_code_order() -> None:
    """The table in engine.rules' docstring (copied in the README) names every rule, in matching order."""
    import re

    from mcp_lightning.engine import rules

    documented = re.findall(r"^\|\s*\d+\s*\|\s*(\w+)", rules.__doc__ or "", flags=re.MULTILINE)
    assert documented == [rule.name for rule in RULES]


def draining_channel(sold_after_update: bool, *, n_in_7d: int = 2):  # type: ignore[no-untyped-def]
    """35 % local, 10 forwards out and ``n_in_7d`` in over 7 days, fee updated 2 days ago."""
    policy = make_policy(last_update_at=NOW - timedelta(days=2))
    sold_at = NOW - timedelta(hours=5) if sold_after_update else NOW - timedelta(days=3)
    return make_context(channel=make_channel(0.35, local_policy=policy), flows=make_flows(n_out_7d=10, n_in_7d=n_in_7d),
                        last_out_forward_at=sold_at)


def test_a_draining_channel_whose_price_still_sells_is_raised_one_step() -> None:
    """35 % local, more out than in, a forward out since the last update: 500 -> 575 ppm (one 15 % step)."""
    decision = decide(draining_channel(sold_after_update=True))
    assert decision.decision is DecisionType.INCREASE_FEES
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm == 575
    assert "still sells" in decision.reasons[0]


def test_a_draining_channel_is_not_raised_again_before_the_new_price_sells() -> None:
    """The same channel whose last forward out predates the fee update keeps its fee."""
    decision = decide(draining_channel(sold_after_update=False))
    assert decision.decision is DecisionType.NO_ACTION
    assert decision.proposed is None or decision.proposed.fee_rate_ppm == 500


def test_a_channel_filling_up_is_not_raised_for_draining() -> None:
    """More in than out over 7 days: not draining, no raise (the fee is at the competitors' median)."""
    decision = decide(draining_channel(sold_after_update=True, n_in_7d=20))
    assert decision.decision is DecisionType.NO_ACTION
