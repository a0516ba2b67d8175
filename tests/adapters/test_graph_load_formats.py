"""Graph ingest of every supported format, on the small hand-checkable fixtures (tests/fixtures/graph)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import Graph, GraphChannel
from mcp_lightning.graph import IngestLimits, load_graph

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"
T = datetime.fromtimestamp(1_700_000_000, tz=UTC)
ALICE, BOB, CAROL, DAVE = "02" + "a" * 64, "02" + "b" * 64, "03" + "c" * 64, "02" + "d" * 64


def _channel(graph: Graph, scid: str) -> GraphChannel:
    wanted = ShortChannelId.parse(scid)
    return next(c for c in graph.channels if c.scid == wanted)


def _summary(graph: Graph) -> list[tuple[object, ...]]:
    """Channels as comparable tuples (time fields left out: the 2019 styles lack some)."""
    def fees(p: Policy | None) -> tuple[int, int, int, bool] | None:
        return None if p is None else (p.base_fee_msat, p.fee_rate_ppm, p.time_lock_delta, p.disabled)
    return sorted((c.chan_id, c.node1_pubkey, c.node2_pubkey, c.capacity_sat, fees(c.node1_policy),
                   fees(c.node2_policy)) for c in graph.channels)


@pytest.fixture(scope="module")
def lnd_graph() -> Graph:
    """The plain LND fixture, loaded once."""
    return load_graph(FIXTURES / "describegraph_small.json")


def test_counts_every_set_aside_record_in_the_report(lnd_graph: Graph) -> None:
    """The report counts the null, absurd, stale, zombie and malformed records of the fixture."""
    report = lnd_graph.report
    assert (report.n_channels_read, report.n_channels_kept, report.n_channels_skipped) == (7, 5, 1)
    assert (report.n_policies_null, report.n_policies_absurd, report.n_policies_stale) == (1, 1, 3)
    assert report.n_channels_zombie == 1
    assert "node2_pub" in report.skipped_examples[0][1] and "not-a-node-id" in report.skipped_examples[0][1]
    assert "4294967295" in report.absurd_examples[0][1]


def test_reads_lnd_policy_fields_in_our_units(lnd_graph: Graph) -> None:
    """fee_rate_milli_msat becomes fee_rate_ppm, strings become ints, last_update a UTC time."""
    channel = _channel(lnd_graph, "800000x1x0")
    policy = channel.node1_policy
    assert channel.chan_id == 800000 << 40 | 1 << 16 and channel.capacity_sat == 1_000_000
    assert (channel.node1_pubkey, channel.node2_pubkey) == (ALICE, BOB)
    assert policy is not None
    assert (policy.base_fee_msat, policy.fee_rate_ppm, policy.time_lock_delta) == (1000, 100, 40)
    assert (policy.min_htlc_msat, policy.max_htlc_msat, policy.disabled) == (1000, 990_000_000, False)
    assert policy.last_update_at == T


def test_dates_the_snapshot_by_its_newest_update(lnd_graph: Graph) -> None:
    """Without a stated time, taken_at is the newest policy update."""
    assert lnd_graph.taken_at == T and lnd_graph.format == "lnd-describegraph"


def test_sets_absurd_and_null_policies_to_none(lnd_graph: Graph) -> None:
    """The 4,294,967,295 ppm policy and the missing direction are both None in the graph."""
    assert _channel(lnd_graph, "800000x3x1").node1_policy is None
    assert _channel(lnd_graph, "800000x2x0").node2_policy is None


def test_prunes_zombie_channels_by_default(lnd_graph: Graph) -> None:
    """The channel whose both sides are a month old is not in the graph."""
    assert ShortChannelId.parse("800001x2x0") not in {c.scid for c in lnd_graph.channels}


def test_keeps_zombie_channels_when_asked() -> None:
    """keep_zombies=True keeps the month-old channel and still counts it."""
    graph = load_graph(FIXTURES / "describegraph_small.json", limits=IngestLimits(keep_zombies=True))
    assert len(graph.channels) == 6 and graph.report.n_channels_zombie == 1


def test_gzip_gives_the_same_graph_as_plain_json(lnd_graph: Graph) -> None:
    """The .json.gz fixture holds the same channels as the plain one."""
    assert _summary(load_graph(FIXTURES / "describegraph_small.json.gz")) == _summary(lnd_graph)


def test_reads_2019_lnd_zip_judging_staleness_by_the_edge_time(lnd_graph: Graph) -> None:
    """Policies without last_update use the edge's newest time: bob's 20-day-old side is not stale."""
    graph = load_graph(FIXTURES / "describegraph_2019style_small.json.zip")
    assert _summary(graph) == _summary(lnd_graph)
    assert graph.report.n_policies_stale == 2 and graph.report.n_channels_zombie == 1
    assert all(p.last_update_at is None and p.max_htlc_msat is None
               for c in graph.channels for p in (c.node1_policy, c.node2_policy) if p is not None)


def test_merges_modern_listchannels_halves_like_lnd(lnd_graph: Graph) -> None:
    """Core Lightning half-channels merge into the same channels, node1 the smaller node id."""
    graph = load_graph(FIXTURES / "listchannels.json")
    assert graph.format == "cln-listchannels" and _summary(graph) == _summary(lnd_graph)
    report = graph.report
    assert (report.n_channels_read, report.n_policies_null, report.n_policies_absurd) == (12, 1, 1)
    assert (report.n_policies_stale, report.n_channels_zombie, report.n_channels_skipped) == (3, 1, 1)


def test_reads_2019_listchannels_xz_with_msat_strings(lnd_graph: Graph) -> None:
    """The 2019 layout ("123msat" strings, satoshis, no htlc_minimum) gives the same channels."""
    graph = load_graph(FIXTURES / "channels_small.json.xz")
    assert _summary(graph) == _summary(lnd_graph)
    assert _channel(graph, "800001x1x0").capacity_sat == 3_000_000


def test_picks_up_the_sibling_nodes_file_for_aliases() -> None:
    """channels_X.json.xz finds nodes_X.json.xz and listchannels.json finds listnodes.json."""
    for name in ("channels_small.json.xz", "listchannels.json"):
        graph = load_graph(FIXTURES / name)
        assert graph.nodes[CAROL].alias == "carol"


def test_listchannels_without_nodes_file_has_empty_aliases(tmp_path: Path) -> None:
    """Endpoints still become nodes when no listnodes file is found, with alias ""."""
    shutil.copy(FIXTURES / "listchannels.json", tmp_path / "listchannels.json")
    graph = load_graph(tmp_path / "listchannels.json")
    assert graph.nodes[CAROL].alias == "" and len(graph.channels) == 5


def test_explicit_nodes_path_is_used(tmp_path: Path) -> None:
    """nodes_path names the listnodes file when the names do not pair up."""
    shutil.copy(FIXTURES / "listchannels.json", tmp_path / "graph.json")
    graph = load_graph(tmp_path / "graph.json", nodes_path=FIXTURES / "listnodes.json")
    assert graph.nodes[DAVE].alias == "dave"


def test_recognises_the_format_from_content_not_the_name(tmp_path: Path) -> None:
    """A gzip'd describegraph named .txt still loads as LND JSON."""
    shutil.copy(FIXTURES / "describegraph_small.json.gz", tmp_path / "export.txt")
    assert load_graph(tmp_path / "export.txt").format == "lnd-describegraph"


def test_fingerprint_is_the_sha256_of_the_file_bytes() -> None:
    """Graph.fingerprint hashes the file as stored (compressed bytes for .gz)."""
    path = FIXTURES / "describegraph_small.json.gz"
    assert load_graph(path).fingerprint == hashlib.sha256(path.read_bytes()).hexdigest()


def test_orders_nodes_and_swaps_policies_when_node1_is_larger(tmp_path: Path) -> None:
    """A record with node1_pub > node2_pub is flipped so node1_policy stays the policy set by node1."""
    doc = json.loads((FIXTURES / "describegraph_small.json").read_text())
    edge = doc["edges"][0]
    edge["node1_pub"], edge["node2_pub"] = edge["node2_pub"], edge["node1_pub"]
    edge["node1_policy"], edge["node2_policy"] = edge["node2_policy"], edge["node1_policy"]
    (tmp_path / "g.json").write_text(json.dumps(doc))
    channel = _channel(load_graph(tmp_path / "g.json"), "800000x1x0")
    assert (channel.node1_pubkey, channel.node2_pubkey) == (ALICE, BOB)
    assert channel.node1_policy is not None and channel.node1_policy.fee_rate_ppm == 100


def test_uses_the_stated_snapshot_time_when_present(tmp_path: Path) -> None:
    """x_snapshot_time_utc (the derived 2025 file's extra) sets taken_at."""
    doc = json.loads((FIXTURES / "describegraph_small.json").read_text())
    doc["x_snapshot_time_utc"] = "2023-11-15T00:00:00Z (stated by the publisher)"
    (tmp_path / "g.json").write_text(json.dumps(doc))
    assert load_graph(tmp_path / "g.json").taken_at == datetime(2023, 11, 15, tzinfo=UTC)


def test_drops_a_policy_stamped_far_after_the_rest(tmp_path: Path) -> None:
    """A last_update in 2100 is an absurd value: dropped, it leaves taken_at at the next newest update."""
    doc = json.loads((FIXTURES / "describegraph_small.json").read_text())
    doc["edges"][0]["node1_policy"]["last_update"] = 4_102_444_800
    (tmp_path / "g.json").write_text(json.dumps(doc))
    graph = load_graph(tmp_path / "g.json", limits=IngestLimits(min_updates_for_skew_check=2))
    assert graph.taken_at == datetime.fromtimestamp(1_700_000_000 - 60, tz=UTC)
    assert graph.report.n_policies_absurd == 2
    assert _channel(graph, "800000x1x0").node1_policy is None


def test_skips_a_record_with_a_wrong_type_inside_a_good_file(tmp_path: Path) -> None:
    """One edge with capacity "abc" is skipped and explained; the others load."""
    doc = json.loads((FIXTURES / "describegraph_small.json").read_text())
    doc["edges"][1]["capacity"] = "abc"
    path = tmp_path / "g.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    graph = load_graph(path)
    assert graph.report.n_channels_skipped == 2 and len(graph.channels) == 4
    assert any("capacity" in reason and "'abc'" in reason for _, reason in graph.report.skipped_examples)


def test_skips_duplicate_and_self_loop_records(tmp_path: Path) -> None:
    """A repeated channel_id and a channel from a node to itself are both skipped with a reason."""
    doc = json.loads((FIXTURES / "describegraph_small.json").read_text())
    loop = dict(doc["edges"][3], channel_id=str(900000 << 40), node2_pub=doc["edges"][3]["node1_pub"])
    doc["edges"] += [dict(doc["edges"][0]), loop]
    (tmp_path / "g.json").write_text(json.dumps(doc))
    reasons = [reason for _, reason in load_graph(tmp_path / "g.json").report.skipped_examples]
    assert any("duplicate" in r for r in reasons) and any("self-loop" in r for r in reasons)


def test_unwraps_a_json_rpc_response(tmp_path: Path) -> None:
    """{"jsonrpc": "2.0", "result": {"channels": [...]}} loads like the bare result."""
    result = json.loads((FIXTURES / "listchannels.json").read_text())
    (tmp_path / "rpc.json").write_text(json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}))
    assert len(load_graph(tmp_path / "rpc.json").channels) == 5
