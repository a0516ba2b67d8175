"""The graph snapshot the API serves: loaded, scored for every node, and swapped whole on re-sync.

Scores are computed once per snapshot for the whole graph (``scoring.score_nodes``), so a node's
score, a channel's score and every ranking page are read from memory. That snapshot is also what
keeps the API serving when the database is down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from mcp_lightning.adapters.files.graph_cache import cached_graph, cached_topology
from mcp_lightning.domain.channel import ShortChannelId
from mcp_lightning.domain.graph import Graph, GraphChannel
from mcp_lightning.errors import InputError, ServiceUnavailable
from mcp_lightning.graph.topology import Method
from mcp_lightning.metrics import GRAPH_CHANNELS, GRAPH_NODES, SCORING_SECONDS
from mcp_lightning.scoring.node_scores import ScoreTable, score_nodes

_log = structlog.get_logger("mcp_lightning.api")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A scored graph snapshot.

    Attributes:
        graph: the graph.
        table: every node's scores.
        channels: chan_id -> channel.
        source: the graph file.
        loaded_at: when this process loaded it (UTC).
    """

    graph: Graph
    table: ScoreTable
    channels: dict[int, GraphChannel]
    source: str
    loaded_at: datetime

    @property
    def version(self) -> str:
        """Cache-key part that changes with the snapshot: fingerprint and load time."""
        return f"{self.graph.fingerprint[:16]}.{int(self.loaded_at.timestamp() * 1000)}"


def load_snapshot(graph_path: Path, *, cache_dir: Path, method: Method) -> Snapshot:
    """Load, measure and score a graph file (parsed graph and topology come from the on-disk cache).

    Raises:
        InputFileError: when the graph file cannot be read or parsed.
    """
    graph = cached_graph(graph_path, cache_dir)
    topology = cached_topology(graph, cache_dir, method=method)
    table = score_nodes(graph, topology)
    GRAPH_NODES.set(len(table))
    GRAPH_CHANNELS.set(len(graph.channels))
    SCORING_SECONDS.set(table.seconds)
    _log.info("snapshot.loaded", graph_path=str(graph_path), n_nodes=len(table), n_channels=len(graph.channels),
              scoring_s=round(table.seconds, 3), graph_fingerprint=graph.fingerprint)
    return Snapshot(graph=graph, table=table, channels={c.chan_id: c for c in graph.channels}, source=str(graph_path),
                    loaded_at=datetime.now(UTC))


class SnapshotHolder:
    """The current snapshot of this process; ``reload`` swaps in a new one atomically (one reload at a time).

    Args:
        graph_path: the graph file to (re)load.
        cache_dir: the on-disk cache of parsed graphs and topologies.
        method: topology method.
    """

    def __init__(self, graph_path: Path, *, cache_dir: Path, method: Method) -> None:
        self.graph_path = graph_path
        self.cache_dir = cache_dir
        self.method = method
        self._current: Snapshot | None = None
        self._reload_lock = threading.Lock()

    @property
    def current(self) -> Snapshot:
        """The snapshot being served.

        Raises:
            ServiceUnavailable: before the first snapshot is loaded.
        """
        if self._current is None:
            raise ServiceUnavailable("no graph snapshot is loaded yet", hint="retry in a few seconds")
        return self._current

    @property
    def loaded(self) -> bool:
        """True once a snapshot is served."""
        return self._current is not None

    def reload(self) -> Snapshot:
        """Load the graph file again, score it, and serve it (blocking; run it in a thread).

        Raises:
            InputFileError: when the graph file cannot be read; the previous snapshot keeps being served.
        """
        with self._reload_lock:
            snapshot = load_snapshot(self.graph_path, cache_dir=self.cache_dir, method=self.method)
            self._current = snapshot
            return snapshot


def parse_chan_id(text: str) -> int:
    """A channel path parameter as LND's uint64 ``chan_id``: decimal, or ``BLOCKxTXxOUT``.

    Raises:
        InputError: when it is not a uint64 or a valid short channel id.
    """
    try:
        chan_id = ShortChannelId.parse(text).chan_id if "x" in text else int(text)
    except ValueError as exc:
        raise InputError(f"channel {text!r} is not a short channel id: {exc}",
                         hint="use the decimal chan_id or BLOCKxTXxOUT") from exc
    if not 0 <= chan_id < 1 << 64:
        raise InputError(f"chan_id {text} is not a uint64 (0 <= chan_id < 2^64)",
                         hint="use the decimal chan_id or BLOCKxTXxOUT")
    return chan_id
