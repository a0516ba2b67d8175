"""Backtests on the toy world: determinism, identical demand across strategies, snapshots, reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_lightning.domain.forward import Forward
from mcp_lightning.engine.context import build_contexts
from mcp_lightning.sim.backtest import run_backtest, write_outputs
from mcp_lightning.sim.metrics import estimate
from mcp_lightning.sim.prepare import default_view_builder, prepare_setting, prepare_world
from mcp_lightning.sim.simulator import simulate
from mcp_lightning.sim.snapshot import SnapshotBuilder
from mcp_lightning.sim.strategies import REGISTRY
from mcp_lightning.sim.toy import TOY_NOW, toy_graph, toy_node, toy_scenario

VIEW = default_view_builder(None)


@pytest.fixture(scope="module")
def toy_result():  # type: ignore[no-untyped-def]
    """One backtest of static, charge_lnd and ours_balanced on the toy world, two seeds."""
    return run_backtest(toy_scenario(), toy_graph(), toy_node(), VIEW)


def test_same_seed_gives_the_same_run() -> None:
    """Preparing and simulating a seed twice gives equal records."""
    scenario = toy_scenario()
    setting = prepare_setting(scenario, toy_graph(), toy_node(), VIEW)
    first = simulate(prepare_world(setting, scenario, 7), REGISTRY["ours_balanced"](), "ours_balanced")
    second = simulate(prepare_world(setting, scenario, 7), REGISTRY["ours_balanced"](), "ours_balanced")
    assert first == second
    assert first.n_payments > 0


def test_seeds_run_in_worker_processes_give_the_same_result(toy_result) -> None:  # type: ignore[no-untyped-def]
    """--jobs 2 forks one worker per seed; the records and the verdict are those of one process."""
    parallel = run_backtest(toy_scenario(), toy_graph(), toy_node(), VIEW, jobs=2)
    assert parallel.records == toy_result.records
    assert parallel.world_notes == toy_result.world_notes
    assert parallel.comparison == toy_result.comparison


def test_strategies_of_a_seed_see_the_same_payments(toy_result) -> None:  # type: ignore[no-untyped-def]
    """Every strategy of one seed is offered the same number of payments."""
    for seed in toy_result.scenario.seeds:
        counts = {r.n_payments for r in toy_result.records if r.seed == seed}
        assert len(counts) == 1


def test_different_seeds_draw_different_worlds(toy_result) -> None:  # type: ignore[no-untyped-def]
    """Two seeds give two different payment streams."""
    static = toy_result.runs_of("static")
    assert static[0].n_payments != static[1].n_payments


def test_snapshot_forwards_have_the_export_shape_and_feed_the_engine() -> None:
    """Simulated forwards are domain Forwards after the history; the engine builds contexts from them."""
    scenario = toy_scenario(days=1.0)
    setting = prepare_setting(scenario, toy_graph(), toy_node(), VIEW)
    world = prepare_world(setting, scenario, 1)
    from mcp_lightning.sim.payments import PaymentEngine
    from mcp_lightning.sim.probability import MissionControl

    net = world.net.clone()
    engine = PaymentEngine(net, world.candidates, MissionControl(), world.rules)
    for at, s, r, a in zip(world.stream.at_s.tolist(), world.stream.sender.tolist(), world.stream.receiver.tolist(),
                           world.stream.amount_msat.tolist(), strict=True):
        engine.pay(s, r, a, at)
    builder = SnapshotBuilder(world.node, net, world.start)
    builder.absorb(engine.ours)
    node = builder.snapshot(TOY_NOW + __import__("datetime").timedelta(days=1), {}, engine.ours)
    simulated = node.forwards[len(toy_node().forwards):]
    assert simulated and all(isinstance(f, Forward) and f.fee_msat == f.amount_in_msat - f.amount_out_msat
                             for f in simulated)
    assert [f.resolved_at for f in node.forwards] == sorted(f.resolved_at for f in node.forwards)
    local = {c.chan_id: c.local_balance_sat for c in node.channels}
    assert local != {c.chan_id: c.local_balance_sat for c in toy_node().channels}
    contexts = build_contexts(node, world.graph, node.taken_at)
    assert sum(ctx.flow(1).n_out for ctx in contexts) == len(simulated)


def test_report_and_plots_are_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    """Running the same backtest twice writes the same Markdown and PNG bytes."""
    written = []
    for run in ("a", "b"):
        result = run_backtest(toy_scenario(seeds=(3,)), toy_graph(), toy_node(), VIEW)
        written.append({p.name: p.read_bytes() for p in write_outputs(result, tmp_path / run)})
    assert written[0].keys() == {"toy.md", "toy-fees.png", "toy-cumulative.png"}
    assert written[0] == written[1]


def test_report_has_one_row_per_strategy_and_a_verdict(toy_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The Markdown table lists every strategy and ends with the balanced-vs-best-baseline verdict."""
    text = (write_outputs(toy_result, tmp_path)[0]).read_text()
    for name in ("static", "charge_lnd", "ours_balanced"):
        assert f"| {name} |" in text
    assert "ours_balanced vs best baseline" in text


def test_confidence_interval_uses_student_t() -> None:
    """Two values 1 and 3: mean 2, half-width t(0.975, 1) x sqrt(2) / sqrt(2) = 12.706."""
    value = estimate([1.0, 3.0])
    assert (value.mean, round(value.half_width, 3)) == (2.0, 12.706)


def test_shadow_replay_takes_only_policies_the_safety_chain_let_through() -> None:
    """Allowed and adjusted proposals are replayed; rejected ones and no-change decisions are not."""
    from mcp_lightning.engine.plan import SafetyResult, Verdict
    from mcp_lightning.sim.shadow import recorded_policies
    from tests.factories import make_decision, make_planned, make_policy

    planned = [make_planned(decision=make_decision(chan_id=cid), safety=SafetyResult(verdict, proposed=proposed))
               for cid, verdict, proposed in (
                   (1, Verdict.ALLOWED, make_policy(fee_rate_ppm=600)),
                   (2, Verdict.ADJUSTED, make_policy(fee_rate_ppm=750)),
                   (3, Verdict.REJECTED, None),
                   (4, Verdict.NOT_APPLICABLE, None))]
    assert {cid: p.fee_rate_ppm for cid, p in recorded_policies(planned).items()} == {1: 600, 2: 750}


def test_shadow_backtest_replays_recorded_fees_against_static() -> None:
    """Recording a higher fee on every channel changes what the node earns against keeping the fees."""
    from dataclasses import replace

    from mcp_lightning.sim.shadow import shadow_backtest
    from mcp_lightning.units import Ppm

    scenario = toy_scenario(seeds=(1,), strategies=("static", "recorded"))
    setting = prepare_setting(scenario, toy_graph(), toy_node(), VIEW)
    policies = {c.chan_id: replace(c.local_policy, fee_rate_ppm=Ppm(2 * c.local_policy.fee_rate_ppm))
                for c in toy_node().channels if c.local_policy is not None}
    result = shadow_backtest(setting, scenario, policies)
    static, recorded = result.runs_of("static")[0], result.runs_of("recorded")[0]
    assert recorded.n_policy_changes == len(policies) and static.n_policy_changes == 0
    assert recorded.fees_msat != static.fees_msat
