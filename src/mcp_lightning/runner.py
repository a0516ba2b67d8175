"""The main job: read a node and the graph, evaluate every channel, check safety, record, report.

This is the imperative shell around the pure core: it reads files (node export, graph, YAML), asks
the graph package for statistics and cached topology, hands values to the planner, and writes the
run to the store. In shadow mode (the only mode so far) nothing is ever sent to the node.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcp_lightning.adapters.files.graph_cache import cached_graph, cached_topology
from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.config import config_fingerprint, load_engine_config
from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.context import GraphView, build_contexts
from mcp_lightning.engine.plan import PlannedDecision, RunSummary
from mcp_lightning.engine.planner import plan
from mcp_lightning.engine.ports import RunStore
from mcp_lightning.engine.unserved import with_unserved
from mcp_lightning.graph.load import load_graph
from mcp_lightning.graph.statistics import network_stats, peer_stats
from mcp_lightning.graph.topology import Method, Topology, compute_topology

SHADOW = "shadow"


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What ``mcpln run`` was asked to do.

    Attributes:
        graph_path: graph snapshot file.
        node_path: node export folder, or a live node URL (``lnd+rest://``, ``cln://``, ``lnbits://``).
        config_path: YAML configuration; None -> bundled default.
        profile: profile name; None -> the file's default.
        now: evaluation time (UTC); None -> the node export's ``taken_at``.
        topology_method: ``"sampled"`` (default, fast) or ``"exact"`` betweenness/closeness.
        cache_dir: where derived graph metrics are cached; None disables the cache.
        node_requests_per_minute: client-side rate limit when ``node_path`` is a live node URL.
    """

    graph_path: Path
    node_path: Path | str
    config_path: Path | None = None
    profile: str | None = None
    now: datetime | None = None
    topology_method: Method = "sampled"
    cache_dir: Path | None = None
    node_requests_per_minute: int = 100


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its summary, decisions, and notes on the inputs."""

    summary: RunSummary
    planned: Sequence[PlannedDecision]
    notes: Sequence[str]


def topology_of(graph: Graph, *, method: Method, cache_dir: Path | None) -> Topology:
    """The graph's topology, read from the cache under ``cache_dir`` when present (None: no cache)."""
    if cache_dir is None:
        return compute_topology(graph, method=method)
    return cached_topology(graph, cache_dir, method=method)


def graph_view(graph: Graph, node: NodeSnapshot, *, method: Method, cache_dir: Path | None) -> GraphView:
    """Statistics and topology of ``graph`` as the contexts need them (topology cached per snapshot)."""
    peers = {c.peer_pubkey for c in node.channels}
    topology = topology_of(graph, method=method, cache_dir=cache_dir)
    return GraphView(
        chan_ids=frozenset(c.chan_id for c in graph.channels),
        taken_at=graph.taken_at,
        network=network_stats(graph),
        peers=peer_stats(graph, peers, exclude_pubkey=node.pubkey),
        topology={p: topology[p] for p in peers if p in topology},
        aliases={p: graph.nodes[p].alias for p in peers if p in graph.nodes},
    )


LIVE_HISTORY_DAYS = 90  # forwards read from a live node: enough for every window and the history check


def read_node(source: Path | str, now: datetime | None, *, requests_per_minute: int = 100) -> NodeSnapshot:
    """Read our node: an export folder, or a running node when ``source`` is a node URL.

    A live node is only read here (shadow mode); its credentials come from the environment or files.

    Raises:
        InputFileError: an export folder is unreadable or malformed.
        ConfigError: a node URL is malformed or its credentials are missing.
        NodeError: a live node could not be read.
    """
    text = str(source)
    if "://" not in text:
        return load_node_export(Path(text))
    from mcp_lightning.adapters.lnd.http_transport import HttpSettings  # loads httpx/pyln only for live nodes
    from mcp_lightning.adapters.node_url import open_node

    since = (now or datetime.now(UTC)) - timedelta(days=LIVE_HISTORY_DAYS)
    node = open_node(text, http=HttpSettings(requests_per_minute=requests_per_minute))
    return node.snapshot(forwards_since=since)


def input_notes(graph: Graph, node: NodeSnapshot, now: datetime) -> list[str]:
    """One line each on what ingest kept, set aside and skipped."""
    r = graph.report
    notes = [
        f"graph {graph.format}: {r.n_channels_kept:,} of {r.n_channels_read:,} channel records kept; "
        f"{r.n_policies_null:,} null, {r.n_policies_absurd:,} absurd, {r.n_policies_stale:,} stale policies; "
        f"{r.n_channels_skipped:,} malformed records skipped; snapshot {graph.taken_at:%Y-%m-%d}, "
        f"{(now - graph.taken_at).days} days before the evaluation time",
        f"node {node.alias} ({node.implementation}): {len(node.channels)} open channels, "
        f"{len(node.forwards):,} forwards, {len(node.skipped)} records skipped",
    ]
    notes += [f"skipped {s.item} in {Path(s.source).name}: {s.reason}" for s in node.skipped[:20]]
    notes += list(node.warnings)
    return notes


def execute_run(request: RunRequest, store: RunStore) -> RunResult:
    """Run the main job in shadow mode and record it.

    Raises:
        InputFileError: a graph or node file is unreadable or malformed (nothing is recorded).
        ConfigError: the configuration is invalid (nothing is recorded).
        StoreError: the run could not be recorded (earlier runs are intact).
    """
    started_at = datetime.now(UTC)
    config = load_engine_config(request.config_path, request.profile)
    node = read_node(request.node_path, request.now, requests_per_minute=request.node_requests_per_minute)
    graph = (load_graph(request.graph_path) if request.cache_dir is None
             else cached_graph(request.graph_path, request.cache_dir))
    now = request.now or node.taken_at
    view = graph_view(graph, node, method=request.topology_method, cache_dir=request.cache_dir)
    contexts = with_unserved(build_contexts(node, view, now, config.windows_days),
                             store.counter_baseline(node.pubkey, now))
    recent: dict[int, list[datetime]] = {}
    for change in store.policy_changes_since(now - timedelta(days=1)):
        recent.setdefault(change.chan_id, []).append(change.applied_at)
    planned = plan(contexts, config, now, recent, view.aliases)
    counts = Counter(p.decision.decision.value for p in planned)
    summary = RunSummary(
        run_id=uuid.uuid4().hex,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        evaluated_at=now,
        mode=SHADOW,
        profile=config.profile,
        node_pubkey=node.pubkey,
        node_alias=node.alias,
        node_source=str(request.node_path),
        graph_source=str(request.graph_path),
        graph_fingerprint=graph.fingerprint,
        config_fingerprint=config_fingerprint(config),
        n_channels=len(planned),
        n_skipped=len(node.skipped),
        decision_counts=dict(sorted(counts.items())),
    )
    store.record_run(summary, planned)
    return RunResult(summary, planned, input_notes(graph, node, now))
