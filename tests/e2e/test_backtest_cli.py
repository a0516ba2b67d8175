"""`mcpln backtest` and `mcpln shadow-report` end to end on the real 2025-10-26 graph and LOUDTOLL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.adapters.store import open_store
from mcp_lightning.cli_sim import app
from mcp_lightning.engine.plan import SafetyResult, Verdict
from mcp_lightning.units import Ppm
from tests.factories import make_decision, make_planned, make_run

ROOT = Path(__file__).resolve().parents[2]
LOUDTOLL = ROOT / "data" / "nodes" / "cln-loudtoll"
GRAPH_2025 = ROOT / "data" / "graph" / "describegraph_2025-10-26.json.gz"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A private SQLite home and topology cache shared by this module's commands."""
    tmp = tmp_path_factory.mktemp("mcpln-sim")
    return {"MCPLN_HOME": str(tmp / "home"), "MCPLN_CACHE_DIR": str(tmp / "cache")}


def invoke(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    """Run a simulator command in-process with the module's environment."""
    return CliRunner().invoke(app, list(args), env={**env, "MCPLN_DATABASE_URL": None}, catch_exceptions=False)


def test_backtest_on_the_real_graph_prints_the_table_and_writes_report_and_plots(env: dict[str, str],
                                                                                 tmp_path: Path) -> None:
    """One simulated day of LOUDTOLL, two strategies: a table row each, Markdown and two PNGs written."""
    scenario = tmp_path / "smoke.yaml"
    scenario.write_text(f"name: smoke\nnode: {LOUDTOLL}\ngraph: {GRAPH_2025}\nseeds: [1]\n")
    out = tmp_path / "out"
    result = invoke(env, "backtest", "--scenario", str(scenario), "--days", "1", "--strategies",
                    "static,ours_balanced", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "| static |" in result.stdout and "| ours_balanced |" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["smoke-cumulative.png", "smoke-fees.png", "smoke.md"]
    assert "payments drawn" in (out / "smoke.md").read_text()


def test_backtest_rejects_an_unknown_strategy(env: dict[str, str], tmp_path: Path) -> None:
    """An unknown strategy name exits 2 with the list of known ones."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    result = invoke(env, "backtest", "--scenario", str(scenario), "--strategies", "static,magic")
    assert result.exit_code == 2
    assert "unknown strategy 'magic'" in result.output and "clboss" in result.output


def test_shadow_report_compares_a_recorded_run_with_keeping_the_fees(env: dict[str, str]) -> None:
    """A recorded run that doubles one LOUDTOLL fee is replayed against static on the same demand."""
    node = load_node_export(LOUDTOLL)
    channel = next(c for c in node.channels if c.active and not c.private and c.local_policy)
    current = channel.local_policy
    assert current is not None
    doubled = replace(current, fee_rate_ppm=Ppm(2 * current.fee_rate_ppm))
    decision = make_decision(chan_id=channel.chan_id, scid=str(channel.scid), peer_pubkey=channel.peer_pubkey,
                             current=current, proposed=doubled)
    run = make_run(node_pubkey=node.pubkey, node_alias=node.alias, node_source=str(LOUDTOLL),
                   graph_source=str(GRAPH_2025))
    store = open_store(None, default_dir=Path(env["MCPLN_HOME"]))
    try:
        store.record_run(run, [make_planned(decision=decision, safety=SafetyResult(Verdict.ALLOWED, proposed=doubled))])
    finally:
        store.close()
    result = invoke(env, "shadow-report", "--run", run.run_id[:8], "--days", "1", "--seeds", "1")
    assert result.exit_code == 0, result.output
    assert f"run {run.run_id[:8]}" in result.stdout and "1 policy changes were recorded" in result.stdout
    assert "| static |" in result.stdout and "| recorded |" in result.stdout
