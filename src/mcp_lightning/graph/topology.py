"""Centrality of every node of a graph snapshot: degree, betweenness, closeness, eigenvector.

The graph measured is the undirected simple graph of the snapshot's nodes (every channel endpoint)
and its enabled channels (at least one direction has a policy that is not disabled); parallel
channels collapse to one edge. ``degree`` is different: it counts all of a node's public channels.

Two methods:

* ``"exact"``: rustworkx betweenness (normalised) and closeness (Wasserman-Faust improved), about
  30 s each on the 2025 mainnet graph.
* ``"sampled"``: both estimated from breadth-first searches out of ``n_pivots`` random pivots
  (``graph/sampled_paths.py``), a couple of seconds. With every node as a pivot it equals the
  exact figures.

Eigenvector centrality (rustworkx power iteration) and degree are cheap and always exact. Each
metric also gets a percentile rank: the share of the other nodes with a strictly lower value.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from mcp_lightning.domain.graph import Graph, GraphChannel
from mcp_lightning.domain.stats import NodeTopology

if TYPE_CHECKING:  # rustworkx and scipy load only when a topology is computed (a warm run reads the cache)
    import rustworkx as rx
    from scipy import sparse

TOPOLOGY_VERSION = 1
"""Bump when a change alters any figure: it is part of the cache key."""

Method = Literal["exact", "sampled"]
_EIGEN_MAX_ITER = 1000
_EIGEN_TOL = 1e-6


@dataclass(frozen=True)
class Topology(Mapping[str, NodeTopology]):
    """pubkey -> ``NodeTopology`` for every channel endpoint, with how it was computed.

    Attributes:
        nodes: pubkey -> figures.
        method: ``"exact"`` or ``"sampled"``.
        n_pivots: pivots used by ``"sampled"`` (at most the node count); 0 for ``"exact"``.
        seed: seed of the pivot sample; 0 for ``"exact"``.
        n_edges: edges of the simple graph measured.
        seconds: wall time of the whole computation, s.
        seconds_by_metric: wall time per metric (``"betweenness"``, ``"closeness"``, ...), s; for
            ``"sampled"`` betweenness and closeness share one entry ``"betweenness+closeness"``.
    """

    nodes: Mapping[str, NodeTopology]
    method: Method
    n_pivots: int
    seed: int
    n_edges: int
    seconds: float
    seconds_by_metric: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, pubkey: str) -> NodeTopology:
        return self.nodes[pubkey]

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True, slots=True)
class SimpleGraph:
    """The graph measured, as index arrays.

    Attributes:
        pubkeys: node ids, sorted; index i is node i.
        edges: (m, 2) int array of undirected edges i < j, unique.
        degree: (n,) channels per node (all public channels, parallel and disabled ones included).
    """

    pubkeys: tuple[str, ...]
    edges: np.ndarray
    degree: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.pubkeys)

    def adjacency(self) -> sparse.csr_matrix:
        """Symmetric 0/1 adjacency matrix, float64, (n, n)."""
        from scipy import sparse

        rows = np.concatenate([self.edges[:, 0], self.edges[:, 1]])
        cols = np.concatenate([self.edges[:, 1], self.edges[:, 0]])
        return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(self.n, self.n))

    def to_rustworkx(self) -> rx.PyGraph:
        """The same graph as a rustworkx ``PyGraph`` whose node i is ``pubkeys[i]``'s index."""
        import rustworkx as rx

        g = rx.PyGraph(multigraph=False)
        g.add_nodes_from(range(self.n))
        g.add_edges_from_no_data([(int(a), int(b)) for a, b in self.edges])
        return g


def is_enabled(channel: GraphChannel) -> bool:
    """True when at least one direction has a policy that is not disabled (the channel can route)."""
    policy1, policy2 = channel.node1_policy, channel.node2_policy
    return (policy1 is not None and not policy1.disabled) or (policy2 is not None and not policy2.disabled)


def simple_graph(graph: Graph) -> SimpleGraph:
    """Index the snapshot's endpoints and collapse its enabled channels into a simple graph.

    Args:
        graph: the snapshot.

    Returns:
        The simple graph; nodes whose channels are all disabled are isolated nodes in it.
    """
    pubkeys = tuple(sorted({p for c in graph.channels for p in (c.node1_pubkey, c.node2_pubkey)}))
    index = {pubkey: i for i, pubkey in enumerate(pubkeys)}
    ends = np.array([(index[c.node1_pubkey], index[c.node2_pubkey]) for c in graph.channels],
                    dtype=np.int64).reshape(-1, 2)
    enabled = np.array([is_enabled(c) for c in graph.channels], dtype=bool)
    pairs = np.sort(ends[enabled], axis=1)
    edges = np.unique(pairs, axis=0) if pairs.size else pairs
    degree = np.bincount(ends.ravel(), minlength=len(pubkeys))
    return SimpleGraph(pubkeys=pubkeys, edges=edges, degree=degree)


def compute_topology(graph: Graph, *, method: Method, n_pivots: int = 500, seed: int = 0) -> Topology:
    """Degree, betweenness, closeness and eigenvector centrality, with percentile ranks.

    Args:
        graph: the snapshot.
        method: ``"exact"`` (rustworkx, slow on mainnet) or ``"sampled"`` (pivot estimates).
        n_pivots: pivots for ``"sampled"``; all nodes are used when it is at least the node count.
        seed: seed of the pivot sample.

    Returns:
        The topology of every channel endpoint.

    Raises:
        ValueError: for an unknown method or ``n_pivots < 1``.

    Source: Brandes & Pich 2007 (pivot-sampled betweenness), Eppstein & Wang 2004 (sampled
    closeness), Wasserman & Faust 1994 (closeness on disconnected graphs), Bonacich 1986
    (eigenvector); rustworkx for the exact figures.
    """
    if method not in ("exact", "sampled"):
        raise ValueError(f"unknown topology method {method!r}; use 'exact' or 'sampled'")
    if n_pivots < 1:
        raise ValueError(f"n_pivots must be at least 1, got {n_pivots}")
    started = time.perf_counter()
    simple = simple_graph(graph)
    timings: dict[str, float] = {}
    if method == "exact":
        betweenness, closeness = _exact(simple, timings)
        used_pivots, used_seed = 0, 0
    else:
        used_pivots, used_seed = min(n_pivots, simple.n), seed
        from mcp_lightning.graph.sampled_paths import sampled_betweenness_closeness

        clock = time.perf_counter()
        betweenness, closeness = sampled_betweenness_closeness(simple.adjacency(), used_pivots, seed)
        timings["betweenness+closeness"] = time.perf_counter() - clock
    clock = time.perf_counter()
    eigenvector = _eigenvector(simple)
    timings["eigenvector"] = time.perf_counter() - clock
    nodes = _node_figures(simple.pubkeys, simple.degree, betweenness, closeness, eigenvector)
    return Topology(nodes=nodes, method=method, n_pivots=used_pivots, seed=used_seed,
                    n_edges=int(simple.edges.shape[0]), seconds=time.perf_counter() - started,
                    seconds_by_metric=timings)


def _exact(simple: SimpleGraph, timings: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    import rustworkx as rx

    g = simple.to_rustworkx()
    clock = time.perf_counter()
    betweenness = _as_array(rx.graph_betweenness_centrality(g, normalized=True), simple.n)
    timings["betweenness"] = time.perf_counter() - clock
    clock = time.perf_counter()
    closeness = _as_array(rx.graph_closeness_centrality(g, wf_improved=True), simple.n)
    timings["closeness"] = time.perf_counter() - clock
    return betweenness, closeness


def _eigenvector(simple: SimpleGraph) -> np.ndarray:
    """Unit-norm eigenvector centrality (rustworkx power iteration); zeros for a graph without edges."""
    if simple.edges.shape[0] == 0:
        return np.zeros(simple.n)
    import rustworkx as rx

    result = rx.graph_eigenvector_centrality(simple.to_rustworkx(), max_iter=_EIGEN_MAX_ITER, tol=_EIGEN_TOL)
    return _as_array(result, simple.n)


def _as_array(mapping: rx.CentralityMapping, n: int) -> np.ndarray:
    """rustworkx's node index -> value mapping as an (n,) array (0.0 for a missing index)."""
    values = dict(mapping.items())
    return np.fromiter((values.get(i, 0.0) for i in range(n)), dtype=np.float64, count=n)


def percentile_ranks(values: np.ndarray) -> np.ndarray:
    """For each value, the share of the other values strictly below it, in [0, 1] (ties share a rank)."""
    n = values.size
    if n <= 1:
        return np.zeros(n)
    below = np.searchsorted(np.sort(values), values, side="left")
    return below / (n - 1)


def _node_figures(pubkeys: tuple[str, ...], degree: np.ndarray, betweenness: np.ndarray,
                  closeness: np.ndarray, eigenvector: np.ndarray) -> dict[str, NodeTopology]:
    columns = [degree.astype(np.float64), betweenness, closeness, eigenvector]
    ranks = [percentile_ranks(c) for c in columns]
    rows = zip(pubkeys, degree.tolist(), betweenness.tolist(), closeness.tolist(), eigenvector.tolist(),
               *(r.tolist() for r in ranks), strict=True)
    return {pubkey: NodeTopology(degree=int(d), betweenness=b, closeness=c, eigenvector=e,
                                 betweenness_rank=rb, closeness_rank=rc, eigenvector_rank=re_,
                                 degree_rank=rd)
            for pubkey, d, b, c, e, rd, rb, rc, re_ in rows}
