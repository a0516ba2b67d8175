"""Backtest: every strategy on identical demand, for every seed of a scenario.

For each seed one world is prepared (network, balances, payment stream, candidate routes) and every
strategy runs on its own clone of it, so differences between strategies come from their fees alone.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.sim.metrics import Comparison, Estimate, compare, summarize
from mcp_lightning.sim.prepare import Setting, ViewBuilder, prepare_setting, prepare_world
from mcp_lightning.sim.scenario import Scenario
from mcp_lightning.sim.simulator import RunRecord, simulate
from mcp_lightning.sim.strategies import BASELINES, REGISTRY, VALVED_BASELINES, StrategyFactory, resolve

Progress = Callable[[str], None]
TARGET_GAIN = 0.15
REFERENCE_STRATEGY = "ours_balanced"


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """All runs of one scenario, summarised per strategy.

    Attributes:
        scenario: the scenario (with the days and seeds actually used).
        records: every run, in (seed, strategy) order.
        summary: strategy -> figure -> estimate over seeds.
        comparison: our balanced profile against the best baseline (None when either was not run).
        world_notes: one line per seed on the world (payments drawn, simulated, pairs).
        valved_comparison: our balanced profile against the best baseline given our liquidity valve
            (``*_valve`` strategies; None when none was run).
    """

    scenario: Scenario
    records: tuple[RunRecord, ...]
    summary: dict[str, dict[str, Estimate]]
    comparison: Comparison | None
    world_notes: tuple[str, ...] = field(default=())
    valved_comparison: Comparison | None = None

    def runs_of(self, strategy: str) -> list[RunRecord]:
        """The runs of one strategy, by seed."""
        return [r for r in self.records if r.strategy == strategy]


def run_backtest(scenario: Scenario, graph: Graph, node: NodeSnapshot, view_builder: ViewBuilder, *,
                 strategies: Sequence[str] | None = None, days: float | None = None,
                 seeds: Sequence[int] | None = None, progress: Progress | None = None,
                 jobs: int = 1) -> BacktestResult:
    """Run every strategy on every seed of ``scenario`` and summarise.

    Args:
        scenario: the scenario.
        graph: the graph snapshot (already loaded).
        node: the node export (already loaded).
        view_builder: builds the engine's graph view of the world graph.
        strategies: names from the registry; None -> the scenario's.
        days: overrides the scenario's length.
        seeds: overrides the scenario's seeds.
        progress: called with one line per finished run.
        jobs: seeds run at once in worker processes (1: in this process). The result does not
            depend on it: each seed's world and runs are independent and the records are put
            back in seed order.

    Returns:
        The :class:`BacktestResult`.

    Raises:
        InputError: unknown strategy name.
        ValueError: the archetype cannot apply to this node.
    """
    names = resolve(list(strategies or scenario.strategies))
    scenario = replace(scenario, days=days or scenario.days, seeds=tuple(seeds or scenario.seeds),
                       strategies=tuple(names))
    setting = prepare_setting(scenario, graph, node, view_builder)
    return run_strategies(setting, scenario, {name: REGISTRY[name] for name in names}, progress, jobs=jobs)


def run_strategies(setting: Setting, scenario: Scenario, factories: Mapping[str, StrategyFactory],
                   progress: Progress | None = None, *, jobs: int = 1) -> BacktestResult:
    """Run each factory's strategy on every seed's world of a prepared scenario, and summarise.

    With ``jobs`` > 1 the seeds run in forked worker processes (the prepared setting and the
    factories reach them through the fork, not pickled); progress lines then come per finished
    seed instead of per run.
    """
    seeds = scenario.seeds
    if jobs <= 1 or len(seeds) <= 1:
        return _summarise_seeds(scenario, (_run_seed(setting, scenario, s, factories, progress) for s in seeds))
    with ProcessPoolExecutor(max_workers=min(jobs, len(seeds)), mp_context=multiprocessing.get_context("fork"),
                             initializer=_adopt, initargs=(setting, scenario, factories)) as pool:
        return _summarise_seeds(scenario, pool.map(_run_adopted_seed, seeds), progress)


def _summarise_seeds(scenario: Scenario, per_seed: Iterable[tuple[list[RunRecord], str]],
                     progress: Progress | None = None) -> BacktestResult:
    """Gather each seed's records and world note, in seed order; report the runs when ``progress`` is given."""
    records: list[RunRecord] = []
    notes: list[str] = []
    for seed_records, note in per_seed:
        records += seed_records
        notes.append(note)
        if progress:
            for record in seed_records:
                progress(_progress_line(scenario, record))
    return summarise(scenario, records, notes)


_ADOPTED: tuple[Setting, Scenario, Mapping[str, StrategyFactory]] | None = None  # set in each worker only


def _adopt(setting: Setting, scenario: Scenario, factories: Mapping[str, StrategyFactory]) -> None:
    global _ADOPTED
    _ADOPTED = (setting, scenario, factories)


def _run_adopted_seed(seed: int) -> tuple[list[RunRecord], str]:
    assert _ADOPTED is not None, "set by the pool initializer"
    setting, scenario, factories = _ADOPTED
    return _run_seed(setting, scenario, seed, factories, None)


def _progress_line(scenario: Scenario, record: RunRecord) -> str:
    return (f"{scenario.name} seed {record.seed} {record.strategy}: {record.fees_msat / 1000:,.0f} sat, "
            f"{record.n_forwards} forwards")


def _run_seed(setting: Setting, scenario: Scenario, seed: int, factories: Mapping[str, StrategyFactory],
              progress: Progress | None) -> tuple[list[RunRecord], str]:
    world = prepare_world(setting, scenario, seed)
    note = (f"seed {seed}: {world.n_payments_total:,} payments drawn, {len(world.stream):,} simulated "
            f"({len(world.candidates):,} sender/receiver pairs)")
    records = []
    for name, factory in factories.items():
        record = simulate(world, factory(), name)
        records.append(record)
        if progress:
            progress(_progress_line(scenario, record))
    return records, note


def summarise(scenario: Scenario, records: Sequence[RunRecord], notes: Sequence[str] = ()) -> BacktestResult:
    """Per-strategy estimates and the balanced-vs-best-baseline comparison of a set of runs."""
    names = list(dict.fromkeys(r.strategy for r in records))
    summary = {name: summarize([r for r in records if r.strategy == name]) for name in names}

    def against_best(group: Sequence[str]) -> Comparison | None:
        candidates = [n for n in names if n in group]
        if REFERENCE_STRATEGY not in summary or not candidates:
            return None
        best = max(candidates, key=lambda n: (summary[n]["fees_sat"].mean, n))
        return compare([r for r in records if r.strategy == REFERENCE_STRATEGY],
                       [r for r in records if r.strategy == best], target=TARGET_GAIN)

    return BacktestResult(scenario, tuple(records), summary, against_best(BASELINES), tuple(notes),
                          against_best(VALVED_BASELINES))


def write_outputs(result: BacktestResult, out_dir: Path) -> list[Path]:
    """Write ``<scenario>.md`` and the PNG plots into ``out_dir``; returns the paths written.

    Raises:
        OSError: when the folder cannot be created or written.
    """
    from mcp_lightning.sim.plots import write_plots
    from mcp_lightning.sim.report import render_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(result, out_dir)
    markdown = out_dir / f"{result.scenario.name}.md"
    markdown.write_text(render_markdown(result, [p.name for p in plots]), encoding="utf-8")
    return [markdown, *plots]
