"""engine.unserved: outbound demand a channel could not serve, from two readings of its counters."""

from __future__ import annotations

from datetime import timedelta

from mcp_lightning.config import load_engine_config
from mcp_lightning.domain.channel import HtlcCounters
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.decide import evaluate_channel
from mcp_lightning.engine.unserved import pick_baseline, unserved_out, with_unserved
from mcp_lightning.units import Ppm
from tests.engine_factories import NOW, idle_flows, make_channel, make_context, make_policy

BALANCED = load_engine_config(profile="balanced")


def test_unserved_is_the_growth_of_offered_minus_fulfilled() -> None:
    """20 offered and 4 fulfilled since the earlier reading: 16 unserved."""
    before = HtlcCounters(n_in_offered=5, n_in_fulfilled=5, n_out_offered=100, n_out_fulfilled=90)
    now = HtlcCounters(n_in_offered=9, n_in_fulfilled=7, n_out_offered=120, n_out_fulfilled=94)
    assert unserved_out(now, before) == 16


def test_a_counter_reset_counts_as_zero_and_a_missing_reading_as_unknown() -> None:
    """Counters that went backwards (a node reset) give 0; without both readings the count is None."""
    before = HtlcCounters(0, 0, 500, 100)
    assert unserved_out(HtlcCounters(0, 0, 10, 10), before) == 0
    assert unserved_out(None, before) is None and unserved_out(before, None) is None


def test_the_baseline_is_the_newest_reading_a_week_old_else_the_oldest() -> None:
    """Readings 10, 8 and 2 days old: the 8-day one; with only 2- and 1-day-old ones: the 2-day one."""
    readings = [(NOW - timedelta(days=d), {}) for d in (2, 10, 8)]
    assert pick_baseline(readings, NOW) == (NOW - timedelta(days=8), {})
    assert pick_baseline([(NOW - timedelta(days=d), {}) for d in (1, 2)], NOW) == (NOW - timedelta(days=2), {})
    assert pick_baseline([(NOW, {})], NOW) is None and pick_baseline([], NOW) is None


def _depleted_dear_idle(counters: HtlcCounters):  # type: ignore[no-untyped-def]
    """5 % local, priced at the competitors' p75 (1,000 ppm), no settled forward in any window."""
    channel = make_channel(0.05, local_policy=make_policy(fee_rate_ppm=Ppm(1000)), htlc_counters=counters)
    return make_context(channel=channel, flows=idle_flows(), last_forward_at=NOW - timedelta(days=10))


def test_unserved_demand_on_a_depleted_channel_raises_its_fee() -> None:
    """No settled forward, but 12 HTLCs failed on it in a week: the scarce liquidity is in demand."""
    ctx = _depleted_dear_idle(HtlcCounters(0, 0, 112, 50))
    baseline = (NOW - timedelta(days=7), {ctx.channel.chan_id: HtlcCounters(0, 0, 100, 50)})
    [measured] = with_unserved([ctx], baseline)
    assert measured.unserved_out_7d == 12
    decision = evaluate_channel(measured, BALANCED, NOW)
    assert decision.decision is DecisionType.INCREASE_FEES, decision.reasons
    assert "12 HTLCs it could not serve" in decision.reasons[0]
    assert decision.proposed is not None and decision.proposed.fee_rate_ppm > 1000


def test_without_an_earlier_reading_the_same_channel_is_left_alone() -> None:
    """The first run has nothing to compare the lifetime counters with: no demand is assumed."""
    ctx = _depleted_dear_idle(HtlcCounters(0, 0, 112, 50))
    [unmeasured] = with_unserved([ctx], None)
    assert unmeasured.unserved_out_7d is None
    assert evaluate_channel(unmeasured, BALANCED, NOW).decision is DecisionType.NO_ACTION
