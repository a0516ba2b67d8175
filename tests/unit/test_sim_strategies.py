"""Each baseline strategy reproduces its published formula on hand-computed cases."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from mcp_lightning.domain.channel import Channel
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.context import build_contexts
from mcp_lightning.engine.engine_config import ValveRules
from mcp_lightning.engine.planner import plan
from mcp_lightning.engine.valve import valve
from mcp_lightning.errors import InputError
from mcp_lightning.sim.prepare import default_view_builder
from mcp_lightning.sim.strategies import REGISTRY, StrategyInput, resolve
from mcp_lightning.sim.strategies.charge_lnd import ChargeLndProportional
from mcp_lightning.sim.strategies.clboss import Clboss, balance_multiplier, bin_multiplier, n_bins
from mcp_lightning.sim.strategies.feelancer import Feelancer, FeelancerGains, SpreadController, liquidity_error
from mcp_lightning.sim.strategies.lndg import LndgAutoFees
from mcp_lightning.sim.strategies.ours import ours_factory
from mcp_lightning.sim.strategies.valved import WithValve
from mcp_lightning.sim.toy import TOY_NOW, toy_graph, toy_node
from mcp_lightning.sim.world import world_graph
from mcp_lightning.units import Msat, Ppm, Sat

VIEW = default_view_builder(None)


def _shaped(node: NodeSnapshot, index: int, *, local_ratio: float | None = None,
            fee: int | None = None) -> NodeSnapshot:
    channels = list(node.channels)
    channel = channels[index]
    if local_ratio is not None:
        local = round(channel.capacity_sat * local_ratio)
        channel = replace(channel, local_balance_sat=Sat(local), remote_balance_sat=Sat(channel.capacity_sat - local))
    if fee is not None and channel.local_policy is not None:
        channel = replace(channel, local_policy=replace(channel.local_policy, fee_rate_ppm=Ppm(fee)))
    channels[index] = channel
    return replace(node, channels=tuple(channels))


def _view(node: NodeSnapshot, *, now=TOY_NOW, failures=None, recent=None) -> StrategyInput:  # type: ignore[no-untyped-def]
    graph = VIEW(world_graph(toy_graph(), node), node)
    return StrategyInput(now, node, build_contexts(node, graph, now), graph, recent or {}, failures or {},
                         np.random.default_rng(0))


def _channel(node: NodeSnapshot, index: int) -> Channel:
    return node.channels[index]


def test_charge_lnd_fee_is_linear_in_the_local_ratio() -> None:
    """min 100, max 300 ppm at 25 % local gives int(100 + 0.75 x 200) = 250 ppm."""
    node = _shaped(toy_node(), 0, local_ratio=0.25)
    proposals = ChargeLndProportional(min_fee_ppm=100, max_fee_ppm=300).propose(_view(node))
    assert proposals[_channel(node, 0).chan_id].fee_rate_ppm == 250


def test_charge_lnd_skips_changes_below_its_delta() -> None:
    """A channel already within 10 ppm of its proportional fee is left alone."""
    node = _shaped(toy_node(), 0, local_ratio=0.25, fee=245)
    proposals = ChargeLndProportional(min_fee_ppm=100, max_fee_ppm=300).propose(_view(node))
    assert _channel(node, 0).chan_id not in proposals


def test_charge_lnd_default_range_follows_the_node_median_fee() -> None:
    """Without a range, it is 0.5x-2x the node's median fee (toy median 300 ppm: 150-600)."""
    strategy = ChargeLndProportional()
    strategy.propose(_view(toy_node()))
    assert (strategy.min_fee_ppm, strategy.max_fee_ppm) == (150, 600)


def test_lndg_raises_a_low_liquidity_channel_after_many_failed_htlcs() -> None:
    """Below 15 % outbound, more than 25 liquidity failures in 24 h and no inflow: +5 x 5 ppm."""
    node = _shaped(toy_node(), 0, local_ratio=0.10, fee=500)
    node = replace(node, forwards=())
    chan_id = _channel(node, 0).chan_id
    strategy = LndgAutoFees()
    strategy.propose(_view(node, now=TOY_NOW - timedelta(days=1), failures={chan_id: 0}))
    proposals = strategy.propose(_view(node, failures={chan_id: 30}))
    assert proposals[chan_id].fee_rate_ppm == 525


def test_lndg_lowers_an_idle_balanced_channel_and_respects_its_cooldown() -> None:
    """Balanced, nothing routed in 7 days: -3 x 5 ppm; a change 2 h ago blocks it for 24 h."""
    node = replace(_shaped(toy_node(), 0, local_ratio=0.5, fee=500), forwards=())
    chan_id = _channel(node, 0).chan_id
    assert LndgAutoFees().propose(_view(node))[chan_id].fee_rate_ppm == 485
    recent = {chan_id: [TOY_NOW - timedelta(hours=2)]}
    assert chan_id not in LndgAutoFees().propose(_view(node, recent=recent))


def test_lndg_raises_a_balanced_channel_with_net_outflow_above_its_capacity() -> None:
    """7-day net outflow 2.25x capacity (rounded 2.2): +2 x 5 x 3.2 = 32 ppm, rounded to 530 from 500."""
    node = _shaped(toy_node(), 0, local_ratio=0.5, fee=500)
    out_id, in_id = _channel(node, 0).chan_id, _channel(node, 1).chan_id
    amount_msat = int(_channel(node, 0).capacity_sat) * 1000 * 9 // 4 // 3
    forwards = tuple(Forward(in_id, out_id, Msat(amount_msat + 1000), Msat(amount_msat), Msat(1000),
                             TOY_NOW - timedelta(days=2, hours=k)) for k in range(3))
    proposals = LndgAutoFees().propose(_view(replace(node, forwards=forwards)))
    assert proposals[out_id].fee_rate_ppm == 530


def test_lndg_clamps_to_its_maximum_rate() -> None:
    """A fee above AF-MaxRate (2,500 ppm) is brought down to it."""
    node = _shaped(toy_node(), 1, local_ratio=0.5, fee=3456)
    assert LndgAutoFees().propose(_view(node))[_channel(node, 1).chan_id].fee_rate_ppm == 2500


def test_clboss_balance_multiplier_matches_its_exponential() -> None:
    """exp(ln 50 x (0.5 - share)): sqrt(50) empty, 1 at half, 1/sqrt(50) full; bins of 0.002 BTC."""
    assert balance_multiplier(0.0) == pytest.approx(math.sqrt(50))
    assert balance_multiplier(0.5) == pytest.approx(1.0)
    assert balance_multiplier(1.0) == pytest.approx(1 / math.sqrt(50))
    assert (n_bins(100_000), n_bins(2_000_000), n_bins(50_000_000)) == (4, 10, 50)
    assert bin_multiplier(5, 10) == pytest.approx(50 ** -0.05)


def test_clboss_prices_at_the_competitor_median_times_the_bin_multiplier() -> None:
    """2 M sat channel half local: bin 5 of 10, fee = round(weighted median x 50^-0.05)."""
    node = _shaped(toy_node(), 2, local_ratio=0.5)
    view = _view(node)
    ctx = next(c for c in view.contexts if c.channel.chan_id == _channel(node, 2).chan_id)
    assert ctx.peer is not None and ctx.peer.n_competitors > 0
    expected = max(1, round(ctx.peer.weighted_median_fee_rate_ppm * 50 ** -0.05))
    proposals = Clboss().propose(view)
    fee = proposals.get(ctx.channel.chan_id, ctx.channel.local_policy).fee_rate_ppm  # type: ignore[union-attr]
    assert fee == expected


def test_feelancer_error_maps_the_remote_share_linearly_around_the_target() -> None:
    """Target 0.5: all remote +0.5, all local -0.5, 75 % remote +0.25."""
    assert liquidity_error(1.0, 0.5) == pytest.approx(0.5)
    assert liquidity_error(0.0, 0.5) == pytest.approx(-0.5)
    assert liquidity_error(0.75, 0.5) == pytest.approx(0.25)


def test_feelancer_constant_error_moves_the_spread_by_kp_plus_ki_per_day() -> None:
    """With e = E = 0.5 and no derivative, one day adds (40 + 80) x 0.5 = 60 ppm."""
    controller = SpreadController(spread_ppm=500.0, error=0.5, ema=0.5)
    controller.update(0.5, 1.0, FeelancerGains())
    assert controller.spread_ppm == pytest.approx(560.0)


def test_feelancer_derivative_contributes_kd_times_the_error_step_in_the_long_run() -> None:
    """An error step of 0.5 with only Kd = 30 adds 30 x 0.5 = 15 ppm once it has decayed."""
    gains = FeelancerGains(kp=0.0, ki=0.0, kd=30.0, alpha_d=0.9)
    controller = SpreadController(spread_ppm=0.0, error=0.0, ema=0.0)
    controller.update(0.5, 1.0, gains)
    for _ in range(60):
        controller.update(0.5, 1.0, gains)
    assert controller.spread_ppm == pytest.approx(15.0, abs=1e-6)


def test_feelancer_raises_the_fee_of_a_depleted_channel() -> None:
    """A channel far more remote than the node's average gets a higher fee a day later."""
    node = _shaped(toy_node(), 0, local_ratio=0.05)
    strategy = Feelancer()
    assert strategy.propose(_view(node)) == {}
    later = strategy.propose(_view(node, now=TOY_NOW + timedelta(days=1)))
    chan_id = _channel(node, 0).chan_id
    assert later[chan_id].fee_rate_ppm > _channel(node, 0).local_policy.fee_rate_ppm  # type: ignore[union-attr]


def test_ours_proposes_exactly_what_the_planner_decides() -> None:
    """The strategy is the real engine: its proposals are the planner's proposed policies."""
    node = _shaped(toy_node(), 0, local_ratio=0.05, fee=50)
    view = _view(node)
    strategy = ours_factory("balanced")
    expected = {p.decision.chan_id: p.decision.proposed for p in plan(view.contexts, strategy.config, view.now, {}, {})
                if p.decision.proposed is not None}
    assert expected
    assert strategy.propose(view) == expected


def test_a_valved_baseline_keeps_its_fees_and_adds_our_htlc_limit() -> None:
    """clboss_valve: CLBOSS's fee on every channel it reprices, the valve's limit on the drained one."""
    node = _shaped(toy_node(), 0, local_ratio=0.05)
    view = _view(node)
    plain = Clboss().propose(view)
    valved = WithValve(Clboss()).propose(view)
    drained = _channel(node, 0)
    verdict = valve(drained, ValveRules())
    assert verdict is not None
    assert valved[drained.chan_id].max_htlc_msat == verdict.max_htlc_msat
    expected_fee = plain.get(drained.chan_id, drained.local_policy).fee_rate_ppm  # type: ignore[union-attr]
    assert valved[drained.chan_id].fee_rate_ppm == expected_fee
    for chan_id, policy in plain.items():
        assert valved[chan_id].fee_rate_ppm == policy.fee_rate_ppm


def test_registry_builds_every_strategy_and_rejects_unknown_names() -> None:
    """Every registered name builds a strategy with that name family; an unknown one is an input error."""
    for name, factory in REGISTRY.items():
        strategy = factory()
        family = strategy.inner.name if isinstance(strategy, WithValve) else strategy.name
        assert name.startswith(family)
    with pytest.raises(InputError, match="unknown strategy 'bogus'"):
        resolve(["static", "bogus"])
