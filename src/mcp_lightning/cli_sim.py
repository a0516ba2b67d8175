"""``mcpln backtest`` and ``mcpln shadow-report``: the simulator's commands.

Wire them into the main app with ``cli_sim.register(app)``; ``cli_sim.app`` holds them alone (for
tests). Errors go through ``cli.guarded`` (imported when a command runs, so the two modules can
import each other's names without a cycle at import time).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.errors import InputError

if TYPE_CHECKING:  # the simulator (scipy, matplotlib) loads only when a simulator command runs
    from mcp_lightning.sim.prepare import ViewBuilder

app = typer.Typer(add_completion=False, no_args_is_help=True, help="MCP Lightning simulator commands.")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")


def _seed_list(base: tuple[int, ...], count: int | None) -> tuple[int, ...]:
    if count is None:
        return base
    if count < 1:
        raise InputError(f"--seeds: value {count} is below 1", hint="give how many seeds to run, e.g. --seeds 10")
    extra = tuple(range(max(base) + 1, max(base) + 1 + max(0, count - len(base))))
    return (base + extra)[:count]


def backtest(
    scenario: Annotated[Path, typer.Option(help="Scenario YAML file (see scenarios/).")],
    days: Annotated[float | None, typer.Option(help="Simulated days (default: the scenario's).")] = None,
    strategies: Annotated[str | None, typer.Option(
        help="Comma-separated strategy names (default: the scenario's).")] = None,
    seeds: Annotated[int | None, typer.Option(
        help="How many seeds: the scenario's first K (extended if needed).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write <scenario>.md and PNG plots into this folder.")] = None,
    graph: Annotated[Path | None, typer.Option(help="Graph snapshot (default: the scenario's, else bundled).")] = None,
    node: Annotated[Path | None, typer.Option(
        help="Node export folder (default: the scenario's, else bundled).")] = None,
    jobs: Annotated[int, typer.Option(help="Seeds run at once in worker processes (same result as 1).")] = 1,
) -> None:
    """Backtest fee strategies on simulated payments over the real graph; print the Markdown table."""
    from mcp_lightning.cli import guarded

    def action() -> None:
        from mcp_lightning.sim.backtest import run_backtest, write_outputs
        from mcp_lightning.sim.report import render_markdown
        from mcp_lightning.sim.scenario import load_scenario
        from mcp_lightning.sim.strategies import resolve

        if days is not None and days <= 0:
            raise InputError(f"--days: value {days} is not positive", hint="give a number of days, e.g. --days 30")
        if jobs < 1:
            raise InputError(f"--jobs: value {jobs} is below 1", hint="give how many processes to use, e.g. --jobs 2")
        loaded = load_scenario(scenario)
        names = resolve([n.strip() for n in strategies.split(",") if n.strip()]) if strategies is not None else None
        graph_obj, node_obj = _load_inputs(graph or loaded.graph_path, node or loaded.node_path)
        result = run_backtest(loaded, graph_obj, node_obj, _view_builder(), strategies=names, days=days,
                              seeds=_seed_list(loaded.seeds, seeds), progress=_say, jobs=jobs)
        if out is not None:
            try:
                written = write_outputs(result, out)
            except OSError as exc:
                raise InputError(f"--out: cannot write into {out} ({exc.strerror})") from exc
            _say("wrote " + ", ".join(str(p) for p in written))
        sys.stdout.write(render_markdown(result))
    guarded(action)


def shadow_report(
    run_id: Annotated[str | None, typer.Option("--run", help="Run id or prefix (default: the newest run).")] = None,
    days: Annotated[float, typer.Option(help="Simulated days after the run.")] = 7.0,
    seeds: Annotated[int, typer.Option(help="How many seeds (1..K).")] = 5,
    payments_per_day: Annotated[float, typer.Option(help="Network-wide payments per day.")] = 25_000.0,
    out: Annotated[Path | None, typer.Option(help="Also write the Markdown report to this file.")] = None,
    graph: Annotated[Path | None, typer.Option(help="Graph snapshot (default: the one the run read).")] = None,
    node: Annotated[Path | None, typer.Option(help="Node export folder (default: the one the run read).")] = None,
) -> None:
    """Estimate by simulation what a recorded shadow run's decisions would have earned vs keeping the fees."""
    from mcp_lightning.cli import guarded

    def action() -> None:
        from mcp_lightning.bootstrap import open_configured_store
        from mcp_lightning.config import Settings
        from mcp_lightning.sim.prepare import prepare_setting
        from mcp_lightning.sim.scenario import Scenario
        from mcp_lightning.sim.shadow import recorded_policies, render_shadow, shadow_backtest

        if days <= 0 or seeds < 1:
            raise InputError("--days must be positive and --seeds at least 1")
        store = open_configured_store(Settings())
        try:
            runs = store.list_runs(limit=1)
            if not runs and run_id is None:
                raise InputError("no run recorded yet", hint="run `mcpln run` first")
            run = store.find_run(run_id) if run_id else runs[0]
            planned = [d.to_planned() for d in store.run_decisions(run.run_id)]
        finally:
            store.close()
        policies = recorded_policies(planned)
        graph_obj, node_obj = _load_inputs(graph or Path(run.graph_source), node or Path(run.node_source))
        scenario = Scenario(name=f"shadow-{run.run_id[:8]}", description="", node_path=None, graph_path=None,
                            days=days, seeds=tuple(range(1, seeds + 1)), decision_interval_hours=6.0,
                            archetype="as_is", archetype_params={}, payments_per_day=payments_per_day,
                            n_destinations=200, weighting="capacity", focus=True, balance_model="uniform",
                            relax_half_life_hours=24.0, probability_model="apriori", max_attempts=5,
                            fee_limit_ratio=0.05, strategies=("static", "recorded"), source=f"run {run.run_id}")
        setting = prepare_setting(scenario, graph_obj, node_obj, _view_builder())
        report = render_shadow(shadow_backtest(setting, scenario, policies, _say), run, len(policies))
        if out is not None:
            try:
                out.write_text(report, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"--out: cannot write {out} ({exc.strerror})") from exc
        sys.stdout.write(report)
    guarded(action)


def _load_inputs(graph_path: Path | None, node_path: Path | None) -> tuple[Graph, NodeSnapshot]:
    from mcp_lightning.adapters.files.node_export import load_node_export
    from mcp_lightning.bootstrap import default_graph_path, default_node_path
    from mcp_lightning.graph.load import load_graph

    return load_graph(graph_path or default_graph_path()), load_node_export(node_path or default_node_path())


def _view_builder() -> ViewBuilder:
    from mcp_lightning.config import Settings
    from mcp_lightning.sim.prepare import default_view_builder

    return default_view_builder(Settings().cache_dir)


def register(main_app: typer.Typer) -> None:
    """Add ``backtest`` and ``shadow-report`` to the main ``mcpln`` app."""
    main_app.command("backtest")(backtest)
    main_app.command("shadow-report")(shadow_report)


register(app)
