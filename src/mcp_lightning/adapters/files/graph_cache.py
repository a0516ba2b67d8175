"""On-disk cache of parsed graphs and their topology, so a second run on the same snapshot is fast.

Topology: ``<cache_dir>/topology/<key>.npz``, a numpy archive of plain arrays (node ids, degree,
the four centralities and their ranks) plus a JSON metadata string; it is read with
``allow_pickle=False``, so a cache file can never execute code. The key hashes everything the
figures depend on: the graph's file fingerprint, the set of channels actually measured (the same
file loaded with other ingest limits gives another graph), the method and its parameters, and
``TOPOLOGY_VERSION``/``CACHE_FORMAT``.

Parsed graph: ``<cache_dir>/graph/<key>.msgpack``, the ``Graph`` dataclass encoded by msgspec and
decoded back into the domain types (typed decoding, no pickle); about half the time of parsing the
JSON again. Its key hashes the file's and the nodes file's bytes, the ingest limits, and
``INGEST_VERSION``/``CACHE_FORMAT``; only the newest ``GRAPHS_KEPT`` files are kept.

A missing, truncated or otherwise unreadable cache file is ignored and rewritten; writing is atomic
(temporary file + rename); a cache that cannot be written is logged and skipped. The CLI passes
``MCPLN_CACHE_DIR`` or ``~/.cache/mcp-lightning`` as ``cache_dir``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import msgspec
import numpy as np
import structlog

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.stats import NodeTopology
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits
from mcp_lightning.graph.json_file import read_bytes
from mcp_lightning.graph.load import INGEST_VERSION, gc_paused, load_graph, sibling_nodes_file
from mcp_lightning.graph.topology import TOPOLOGY_VERSION, Method, Topology, compute_topology, is_enabled

CACHE_FORMAT = 1
"""Bump when the file layout changes."""
GRAPHS_KEPT = 5
"""Parsed graphs kept in the cache (the newest by modification time)."""

_log = structlog.get_logger(__name__)
_GRAPH_DECODER = msgspec.msgpack.Decoder(Graph)
_FLOAT_FIELDS = ("betweenness", "closeness", "eigenvector", "betweenness_rank", "closeness_rank",
                 "eigenvector_rank", "degree_rank")


def topology_key(graph: Graph, *, method: Method, n_pivots: int = 500, seed: int = 0) -> str:
    """The cache key of ``compute_topology(graph, method=..., n_pivots=..., seed=...)``.

    Returns:
        64 hex characters.
    """
    structure = hashlib.sha256()
    for channel in graph.channels:
        structure.update(f"{channel.chan_id} {channel.node1_pubkey} {channel.node2_pubkey} "
                         f"{int(is_enabled(channel))}\n".encode())
    exact = method == "exact"
    parts = {"fingerprint": graph.fingerprint, "structure": structure.hexdigest(), "method": method,
             "n_pivots": 0 if exact else n_pivots, "seed": 0 if exact else seed,
             "topology_version": TOPOLOGY_VERSION, "cache_format": CACHE_FORMAT}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def topology_path(cache_dir: Path, key: str) -> Path:
    """Where the topology of ``key`` is stored."""
    return cache_dir / "topology" / f"{key}.npz"


def load_topology(cache_dir: Path, key: str) -> Topology | None:
    """The cached topology for ``key``, or None when absent, unreadable or not for this key."""
    path = topology_path(cache_dir, key)
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("key") != key:
                return None
            pubkeys = archive["pubkeys"].tolist()
            degree = archive["degree"].tolist()
            columns = [archive[name].tolist() for name in _FLOAT_FIELDS]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    if any(len(column) != len(pubkeys) for column in (degree, *columns)):
        return None
    rows = zip(pubkeys, degree, *columns, strict=True)
    nodes = {pubkey: NodeTopology(int(d), *values) for pubkey, d, *values in rows}
    return Topology(nodes=nodes, method=meta["method"], n_pivots=int(meta["n_pivots"]), seed=int(meta["seed"]),
                    n_edges=int(meta["n_edges"]), seconds=float(meta["seconds"]),
                    seconds_by_metric={k: float(v) for k, v in meta["seconds_by_metric"].items()})


def save_topology(cache_dir: Path, key: str, topology: Topology) -> Path:
    """Write ``topology`` under ``key`` atomically.

    Returns:
        The file written.

    Raises:
        OSError: when the cache directory cannot be created or written.
    """
    path = topology_path(cache_dir, key)
    pubkeys = list(topology.nodes)
    figures = list(topology.nodes.values())
    meta = {"key": key, "method": topology.method, "n_pivots": topology.n_pivots, "seed": topology.seed,
            "n_edges": topology.n_edges, "seconds": topology.seconds,
            "seconds_by_metric": dict(topology.seconds_by_metric)}
    arrays = {name: np.array([getattr(f, name) for f in figures], dtype=np.float64) for name in _FLOAT_FIELDS}
    arrays["meta"] = np.array(json.dumps(meta))
    arrays["pubkeys"] = np.array(pubkeys, dtype=np.str_)
    arrays["degree"] = np.array([f.degree for f in figures], dtype=np.int64)
    _write_atomically(path, lambda out: np.savez(out, **arrays))  # type: ignore[arg-type]  # numpy's stub
    return path


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file in the same directory, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cached_topology(graph: Graph, cache_dir: Path, *, method: Method, n_pivots: int = 500,
                    seed: int = 0) -> Topology:
    """``compute_topology`` through the cache: read it when present, else compute and store it.

    A cache that cannot be written (read-only directory, full disk) does not fail the call; the
    topology is returned all the same.

    Args:
        graph: the snapshot.
        cache_dir: the cache root (created when missing).
        method: ``"exact"`` or ``"sampled"``.
        n_pivots: pivots for ``"sampled"``.
        seed: pivot sample seed.

    Returns:
        The topology, cached or fresh.
    """
    key = topology_key(graph, method=method, n_pivots=n_pivots, seed=seed)
    cached = load_topology(cache_dir, key)
    if cached is not None:
        return cached
    topology = compute_topology(graph, method=method, n_pivots=n_pivots, seed=seed)
    try:
        save_topology(cache_dir, key, topology)
    except OSError as exc:  # the cache is an optimisation; the next run will try again
        _log.warning("graph_cache.write_failed", cache_dir=str(cache_dir), error=str(exc))
    return topology


def graph_key(path: Path, *, nodes_path: Path | None = None, limits: IngestLimits = DEFAULT_LIMITS) -> str:
    """The cache key of ``load_graph(path, nodes_path=..., limits=...)``.

    Raises:
        InputFileError: when a file cannot be read.
    """
    nodes_file = nodes_path if nodes_path is not None else sibling_nodes_file(path)
    parts = {"file": hashlib.sha256(read_bytes(path)).hexdigest(),
             "nodes": hashlib.sha256(read_bytes(nodes_file)).hexdigest() if nodes_file else None,
             "limits": dataclasses.asdict(limits), "ingest_version": INGEST_VERSION, "cache_format": CACHE_FORMAT}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def graph_path(cache_dir: Path, key: str) -> Path:
    """Where the parsed graph of ``key`` is stored."""
    return cache_dir / "graph" / f"{key}.msgpack"


def load_cached_graph(cache_dir: Path, key: str) -> Graph | None:
    """The cached graph for ``key``, or None when absent or unreadable."""
    try:
        with gc_paused():  # decoding builds ~200,000 acyclic objects
            return _GRAPH_DECODER.decode(graph_path(cache_dir, key).read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError):
        return None


def save_graph(cache_dir: Path, key: str, graph: Graph) -> Path:
    """Write ``graph`` under ``key`` atomically and drop all but the newest ``GRAPHS_KEPT`` graphs.

    Raises:
        OSError: when the cache cannot be written.
    """
    path = graph_path(cache_dir, key)
    _write_atomically(path, lambda out: out.write(msgspec.msgpack.encode(graph)))
    stored = sorted(path.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stored[GRAPHS_KEPT:]:
        old.unlink(missing_ok=True)
    return path


def cached_graph(path: Path, cache_dir: Path, *, nodes_path: Path | None = None,
                 limits: IngestLimits = DEFAULT_LIMITS) -> Graph:
    """``load_graph`` through the cache: the stored parse of identical bytes and limits, else a fresh one.

    Args:
        path: the graph file.
        cache_dir: the cache root.
        nodes_path: as for ``load_graph``.
        limits: as for ``load_graph``.

    Returns:
        The graph, with ``source`` set to ``path`` even when the cache was filled from another path.

    Raises:
        InputFileError: as ``load_graph``.
    """
    key = graph_key(path, nodes_path=nodes_path, limits=limits)
    cached = load_cached_graph(cache_dir, key)
    if cached is not None:
        return dataclasses.replace(cached, source=str(path))
    graph = load_graph(path, nodes_path=nodes_path, limits=limits)
    try:
        save_graph(cache_dir, key, graph)
    except OSError as exc:
        _log.warning("graph_cache.write_failed", cache_dir=str(cache_dir), error=str(exc))
    return graph
