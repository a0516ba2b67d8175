"""`mcpln run` and `mcpln history` end to end on the bundled real data (LOUDTOLL + mainnet graphs)."""

from __future__ import annotations

import gzip
import json
import lzma
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcp_lightning.cli import app

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
LOUDTOLL = DATA / "nodes" / "cln-loudtoll"
GRAPH_2025 = DATA / "graph" / "describegraph_2025-10-26.json.gz"
CLN_2019 = DATA / "graph" / "channels_5-14-19.json.xz"
N_OPEN_CHANNELS = 85

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A private SQLite home and topology cache for this module's runs."""
    tmp = tmp_path_factory.mktemp("mcpln")
    return {"MCPLN_HOME": str(tmp / "home"), "MCPLN_CACHE_DIR": str(tmp / "cache")}


def invoke(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    """Run the CLI in-process with the module's environment (SQLite: any MCPLN_DATABASE_URL is unset)."""
    return CliRunner().invoke(app, list(args), env={**env, "MCPLN_DATABASE_URL": None}, catch_exceptions=False)


@pytest.fixture(scope="module")
def default_run(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """`mcpln run --json` with every default (bundled LOUDTOLL and 2025-10-26 graph)."""
    result = invoke(env, "run", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_count(env: dict[str, str]) -> int:
    """Number of runs `mcpln history --json` lists."""
    result = invoke(env, "history", "--json", "--limit", "1000")
    assert result.exit_code == 0, result.output
    if "No runs recorded" in result.stdout:
        return 0
    return len(json.loads(result.stdout)["runs"])


def test_default_run_decides_every_open_channel_of_loudtoll(default_run: dict) -> None:  # type: ignore[type-arg]
    """One decision per open LOUDTOLL channel, each with the documented keys and valid values."""
    decisions = default_run["decisions"]
    assert len(decisions) == N_OPEN_CHANNELS
    assert default_run["run_id"] and default_run["node_alias"] == "LOUDTOLL"
    raw = json.load(lzma.open(LOUDTOLL / "listpeerchannels.json.xz"))["channels"]
    open_scids = {c["short_channel_id"] for c in raw if c["state"] == "CHANNELD_NORMAL"}
    assert {d["scid"] for d in decisions} == open_scids
    for d in decisions:
        assert {
            "chan_id",
            "scid",
            "peer_pubkey",
            "decision",
            "confidence",
            "scores",
            "reasons",
            "current",
            "proposed",
        } <= set(d)
        assert d["decision"] in {"NO_ACTION", "INCREASE_FEES", "DECREASE_FEES", "REBALANCE", "CLOSE_CHANNEL"}
        assert 0 <= d["confidence"] <= 1 and d["reasons"]
        assert set(d["scores"]) == {
            "centrality",
            "liquidity",
            "activity",
            "competitiveness",
            "reliability",
            "age_stability",
            "peer_quality",
            "network_position",
        }
        if d["decision"] in {"INCREASE_FEES", "DECREASE_FEES"}:
            assert d["proposed"] is not None and d["proposed"]["fee_rate_ppm"] != d["current"]["fee_rate_ppm"]
        elif d["proposed"] is not None:  # the liquidity valve alone: same fee, another HTLC limit
            assert d["proposed"]["fee_rate_ppm"] == d["current"]["fee_rate_ppm"]
            assert d["proposed"]["max_htlc_msat"] != d["current"]["max_htlc_msat"]
            assert any("HTLC limit" in reason for reason in d["reasons"])


def test_the_valve_lowers_the_htlc_limit_of_drained_loudtoll_channels(default_run: dict) -> None:  # type: ignore[type-arg]
    """Every proposed limit below the current one is on a channel under half local, and within its balance."""
    lowered = [d for d in default_run["decisions"] if d["proposed"] is not None
               and d["proposed"]["max_htlc_msat"] is not None
               and d["proposed"]["max_htlc_msat"] < (d["current"]["max_htlc_msat"] or 2**64)]
    assert lowered, "LOUDTOLL has drained channels; the valve should lower some limits"
    for d in lowered:
        local_sat = d["facts"]["capacity_sat"] * d["facts"]["local_ratio"]
        assert d["facts"]["local_ratio"] < 0.5
        assert d["proposed"]["max_htlc_msat"] <= max(d["current"]["min_htlc_msat"], local_sat * 1000 * 0.5 + 1000)


def test_current_policy_matches_the_node_export(default_run: dict) -> None:  # type: ignore[type-arg]
    """The reported current fee of each channel is the one in listpeerchannels."""
    raw = json.load(lzma.open(LOUDTOLL / "listpeerchannels.json.xz"))["channels"]
    fees = {c["short_channel_id"]: c["updates"]["local"]["fee_proportional_millionths"] for c in raw}
    for d in default_run["decisions"]:
        assert d["current"]["fee_rate_ppm"] == fees[d["scid"]]


def test_history_shows_the_stored_decisions(env: dict[str, str], default_run: dict) -> None:  # type: ignore[type-arg]
    """`mcpln history --run ID` returns the same decisions the run printed."""
    result = invoke(env, "history", "--json", "--run", default_run["run_id"][:8])
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)
    assert stored["run"]["run_id"] == default_run["run_id"]
    by_scid = {d["scid"]: d for d in stored["decisions"]}
    assert len(by_scid) == N_OPEN_CHANNELS
    for d in default_run["decisions"]:
        assert by_scid[d["scid"]]["decision"] == d["decision"]
        assert by_scid[d["scid"]]["proposed"] == d["proposed"]
    table = invoke(env, "history")
    assert table.exit_code == 0 and default_run["run_id"][:8] in table.stdout


def test_the_table_and_report_show_every_channel(env: dict[str, str], tmp_path: Path) -> None:
    """Without --json a table is printed, and --report writes a Markdown report with one row per channel."""
    report = tmp_path / "report.md"
    result = invoke(env, "run", "--report", str(report), "--profile", "conservative")
    assert result.exit_code == 0, result.output
    assert "LOUDTOLL" in result.stdout and "shadow" in result.stdout
    text = report.read_text()
    assert text.startswith("# MCP Lightning run") and text.count("\n### ") == N_OPEN_CHANNELS


def test_a_2019_listchannels_graph_works_and_absent_channels_are_still_evaluated(env: dict[str, str]) -> None:
    """With a Core Lightning listchannels of 2019, every channel is evaluated and graph heuristics say so."""
    result = invoke(env, "run", "--json", "--graph", str(CLN_2019))
    assert result.exit_code == 0, result.output
    decisions = json.loads(result.stdout)["decisions"]
    assert len(decisions) == N_OPEN_CHANNELS
    assert all(not d["facts"]["in_graph"] for d in decisions)  # LOUDTOLL's channels were opened after 2019
    not_in_graph = [d for d in decisions if "not in the graph" in d["scores"]["centrality"]["reason"]]
    assert not_in_graph, "peers absent from the 2019 graph must be reported by the graph heuristics"


def test_the_same_inputs_give_the_same_decisions(env: dict[str, str], default_run: dict) -> None:  # type: ignore[type-arg]
    """Runs on the same data yield identical decisions; from the second on, identical input fingerprints.

    The second run also knows the first one's HTLC counters (0 unserved HTLCs instead of unknown),
    so its inputs differ from the first run's; the third run's equal the second's.
    """
    second, third = (json.loads(invoke(env, "run", "--json").stdout) for _ in range(2))
    strip = lambda ds: [(d["scid"], d["decision"], d["proposed"], d["confidence"]) for d in ds]  # noqa: E731
    assert strip(second["decisions"]) == strip(default_run["decisions"]) == strip(third["decisions"])
    prints = lambda run: [d["inputs_fingerprint"] for d in run["decisions"]]  # noqa: E731
    assert prints(second) == prints(third)
    assert len({second["run_id"], third["run_id"], default_run["run_id"]}) == 3


def test_a_later_run_measures_unserved_demand_from_the_earlier_runs_counters(env: dict[str, str],
                                                                               tmp_path: Path) -> None:
    """12 more outbound HTLCs offered and none fulfilled a week later: that channel shows 12 unserved."""
    env = {**env, "MCPLN_HOME": str(tmp_path / "home")}  # a store holding this test's runs alone
    folder = _copy_node(tmp_path)
    first = json.loads(invoke(env, "run", "--json", "--node", str(folder), "--now", "2025-10-27T00:00:00Z").stdout)
    assert {d["facts"]["unserved_out_7d"] for d in first["decisions"]} == {None}
    target = first["decisions"][0]["scid"]

    def more_failures(doc: dict) -> None:  # type: ignore[type-arg]
        for channel in doc["channels"]:
            if channel.get("short_channel_id") == target:
                channel["out_payments_offered"] += 12

    _rewrite_peer_channels(folder, more_failures)
    later = json.loads(invoke(env, "run", "--json", "--node", str(folder), "--now", "2025-11-03T00:00:00Z").stdout)
    unserved = {d["scid"]: d["facts"]["unserved_out_7d"] for d in later["decisions"]}
    assert unserved[target] == 12
    assert {v for k, v in unserved.items() if k != target} == {0}


def _copy_node(tmp_path: Path) -> Path:
    folder = tmp_path / "node"
    shutil.copytree(LOUDTOLL, folder)
    return folder


def _rewrite_peer_channels(folder: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    doc = json.load(lzma.open(folder / "listpeerchannels.json.xz"))
    mutate(doc)
    (folder / "listpeerchannels.json.xz").unlink()
    (folder / "listpeerchannels.json").write_text(json.dumps(doc))


def _truncated_graph(tmp_path: Path) -> list[str]:
    path = tmp_path / "graph.json.gz"
    path.write_bytes(GRAPH_2025.read_bytes()[:200_000])
    return ["--graph", str(path)]


def _graph_without_edges(tmp_path: Path) -> list[str]:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"nodes": [], "edgez": []}))
    return ["--graph", str(path)]


def _node_missing_getinfo_id(tmp_path: Path) -> list[str]:
    folder = _copy_node(tmp_path)
    info = json.loads((folder / "getinfo.json").read_text())
    del info["id"]
    (folder / "getinfo.json").write_text(json.dumps(info))
    return ["--node", str(folder)]


def _node_wrong_type_blockheight(tmp_path: Path) -> list[str]:
    folder = _copy_node(tmp_path)
    info = json.loads((folder / "getinfo.json").read_text())
    info["blockheight"] = "tall"
    (folder / "getinfo.json").write_text(json.dumps(info))
    return ["--node", str(folder)]


def _node_truncated_channels(tmp_path: Path) -> list[str]:
    folder = _copy_node(tmp_path)
    data = (folder / "listpeerchannels.json.xz").read_bytes()
    (folder / "listpeerchannels.json.xz").write_bytes(data[: len(data) // 2])
    return ["--node", str(folder)]


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (_truncated_graph, "graph.json.gz"),
        (_graph_without_edges, "edges"),
        (_node_missing_getinfo_id, "id"),
        (_node_wrong_type_blockheight, "tall"),
        (_node_truncated_channels, "listpeerchannels"),
    ],
    ids=["truncated-graph", "graph-wrong-shape", "node-missing-field", "node-wrong-type", "node-truncated"],
)
def test_bad_input_exits_2_with_one_line_and_keeps_history(
    env: dict[str, str],
    tmp_path: Path,
    make_args,  # type: ignore[no-untyped-def]
    expected: str,
    default_run: dict,
) -> None:  # type: ignore[type-arg]
    """Each broken file gives exit code 2, an error line naming the file and field, no traceback, and no lost run."""
    before = run_count(env)
    result = invoke(env, "run", *make_args(tmp_path))
    assert result.exit_code == 2, result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and expected in error_lines[0], result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert run_count(env) == before


def test_an_absurd_channel_value_skips_that_channel_only(env: dict[str, str], tmp_path: Path) -> None:
    """A channel whose local balance exceeds its capacity is skipped and named; the others are decided."""
    folder = _copy_node(tmp_path)

    def mutate(doc) -> None:  # type: ignore[no-untyped-def]
        doc["channels"][1]["to_us_msat"] = doc["channels"][1]["total_msat"] * 10

    _rewrite_peer_channels(folder, mutate)
    result = invoke(env, "run", "--json", "--node", str(folder))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["decisions"]) == N_OPEN_CHANNELS - 1
    assert any("911193x3251x1" in n and "to_us_msat" in n for n in out["notes"])


def test_an_absurd_fee_in_the_graph_is_counted_not_fatal(env: dict[str, str], tmp_path: Path) -> None:
    """The real graph's 4,294,967,295 ppm policies are dropped and counted in the run notes."""
    result = invoke(env, "run", "--json")
    notes = json.loads(result.stdout)["notes"]
    counts = [int(m.group(1).replace(",", "")) for n in notes if (m := re.search(r"([\d,]+) absurd", n))]
    assert counts and counts[0] >= 600  # the snapshot holds 693 policies at >= 1,000,000 ppm
    assert b"4294967295" in gzip.open(GRAPH_2025).read()
