"""Benchmark graph ingest and topology on the real snapshots; prints tables of timings and ratios.

Run: ``.venv/bin/python bench/bench_graph.py`` (about 3 minutes on 2 cores; ``--quick`` skips the
exact and networkx runs). What it measures:

1. ``load_graph`` per real file (best of ``--repeat`` runs in one process, plus the first run).
2. On the 2025 graph: rustworkx exact betweenness, closeness and eigenvector; our pivot-sampled
   betweenness + closeness (``--pivots``, default 500); Spearman rank correlation of sampled vs
   exact over all nodes and over the top nodes by exact value.
3. networkx side by side, on documented samples because exact networkx betweenness on the full
   graph takes ~20 minutes: ``nx.betweenness_centrality(G, k=pivots)`` on the full graph against our
   sampled run with the same pivot count, and exact betweenness, closeness and eigenvector on a
   2,000-node subgraph (the first 2,000 nodes a BFS reaches from a random node: a uniformly
   random node set induces almost no edges in this sparse graph) against rustworkx on the same
   subgraph.
4. The caches: cold against warm ``cached_topology`` and ``cached_graph``, and a whole cold pass.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import rustworkx as rx
from scipy import stats
from scipy.sparse import csgraph

from mcp_lightning.adapters.files.graph_cache import cached_graph, cached_topology
from mcp_lightning.domain.graph import Graph
from mcp_lightning.graph import compute_topology, load_graph, network_stats, peer_stats
from mcp_lightning.graph.sampled_paths import sampled_betweenness_closeness
from mcp_lightning.graph.topology import SimpleGraph, simple_graph

T = TypeVar("T")
DATA = Path(__file__).parents[1] / "data" / "graph"
FILES = (("LND describegraph 2025 (.json.gz)", "describegraph_2025-10-26.json.gz"),
         ("LND describegraph 2019 (.json.zip)", "LN_2019.03.09-09.23.00.json.zip"),
         ("CLN listchannels 2019 (.json.xz + nodes)", "channels_5-14-19.json.xz"))
SUBGRAPH_NODES = 2_000


def timed(function: Callable[[], T]) -> tuple[T, float]:
    """Run ``function`` once; return its result and wall time in seconds."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def table(title: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """Print a fixed-width table."""
    cells = [header, *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        padded = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  " + "  ".join(padded))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def bench_loads(repeat: int) -> Graph:
    """Time load_graph on every real file; return the 2025 graph."""
    rows: list[tuple[object, ...]] = []
    graph_2025 = None
    for label, name in FILES:
        graph, first = timed(lambda name=name: load_graph(DATA / name))  # type: ignore[misc]
        times = [first] + [timed(lambda name=name: load_graph(DATA / name))[1] for _ in range(repeat - 1)]  # type: ignore[misc]
        report = graph.report
        rows.append((label, f"{(DATA / name).stat().st_size / 1e6:.1f} MB", report.n_channels_read,
                     report.n_channels_kept, f"{first:.2f}", f"{min(times):.2f}",
                     f"{report.n_channels_read / min(times):,.0f}"))
        graph_2025 = graph_2025 or graph
    table("1. load_graph (seconds; records/s on the best run)",
          ("file", "size", "records", "channels kept", "first s", "best s", "records/s"), rows)
    assert graph_2025 is not None
    return graph_2025


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two samples."""
    return float(stats.spearmanr(a, b).statistic)


def bench_topology(graph: Graph, pivots: int, quick: bool) -> None:
    """rustworkx exact vs our sampled estimator on the full graph, with rank correlations."""
    simple = simple_graph(graph)
    adjacency = simple.adjacency()
    (sampled_b, sampled_c), t_sampled = timed(lambda: sampled_betweenness_closeness(adjacency, pivots, 0))
    topology, t_topology = timed(lambda: compute_topology(graph, method="sampled", n_pivots=pivots))
    g = simple.to_rustworkx()
    eigen, t_eigen = timed(lambda: rx.graph_eigenvector_centrality(g, max_iter=1000, tol=1e-6))
    rows: list[tuple[object, ...]] = [
        (f"ours: sampled betweenness + closeness ({pivots} pivots)", f"{t_sampled:.2f}", ""),
        (f"ours: compute_topology(method='sampled', n_pivots={pivots}) in all", f"{t_topology:.2f}", ""),
        ("rustworkx eigenvector (both methods)", f"{t_eigen:.2f}", "")]
    print(f"\n2. topology of the 2025 graph: {simple.n:,} nodes, {simple.edges.shape[0]:,} edges "
          f"(undirected simple graph of enabled channels)")
    if quick:
        table("   timings (s)", ("computation", "seconds", "ratio"), rows)
        return
    exact_b, t_b = timed(lambda: _values(rx.graph_betweenness_centrality(g, normalized=True), simple.n))
    exact_c, t_c = timed(lambda: _values(rx.graph_closeness_centrality(g, wf_improved=True), simple.n))
    rows += [("rustworkx exact betweenness", f"{t_b:.2f}", f"{t_b / t_sampled:.1f}x ours"),
             ("rustworkx exact closeness", f"{t_c:.2f}", f"{t_c / t_sampled:.1f}x ours"),
             ("rustworkx exact betweenness + closeness", f"{t_b + t_c:.2f}", f"{(t_b + t_c) / t_sampled:.1f}x ours")]
    table("   timings (s)", ("computation", "seconds", "ratio"), rows)
    correlation_rows: list[tuple[object, ...]] = []
    for name, exact, sampled in (("betweenness", exact_b, sampled_b), ("closeness", exact_c, sampled_c)):
        order = np.argsort(-exact)
        for label, index in (("all nodes", order), ("top 1,000 by exact", order[:1000]),
                             ("top 100 by exact", order[:100])):
            correlation_rows.append((name, label, f"{spearman(exact[index], sampled[index]):.4f}"))
        top_exact, top_sampled = set(order[:100].tolist()), set(np.argsort(-sampled)[:100].tolist())
        correlation_rows.append((name, "top-100 overlap (sampled vs exact)", f"{len(top_exact & top_sampled)}/100"))
    table(f"   Spearman rank correlation, sampled ({pivots} pivots, seed 0) vs rustworkx exact",
          ("metric", "nodes", "rho"), correlation_rows)
    del topology, eigen


def _values(mapping: rx.CentralityMapping, n: int) -> np.ndarray:
    values = dict(mapping.items())
    return np.array([values.get(i, 0.0) for i in range(n)])


def bench_networkx(graph: Graph, pivots: int) -> None:
    """networkx on documented samples, against rustworkx / ours on the same inputs."""
    simple = simple_graph(graph)
    full = nx.Graph()
    full.add_nodes_from(range(simple.n))
    full.add_edges_from(simple.edges.tolist())
    _, t_nx_sampled = timed(lambda: nx.betweenness_centrality(full, k=pivots, seed=0))
    _, t_ours = timed(lambda: sampled_betweenness_closeness(simple.adjacency(), pivots, 0))
    sub = _snowball_subgraph(simple, SUBGRAPH_NODES, seed=0)
    sub_nx = nx.Graph()
    sub_nx.add_nodes_from(range(sub.n))
    sub_nx.add_edges_from(sub.edges.tolist())
    sub_rx = sub.to_rustworkx()
    _, t_nx_close = timed(lambda: nx.closeness_centrality(sub_nx, wf_improved=True))
    _, t_rx_close = timed(lambda: rx.graph_closeness_centrality(sub_rx, wf_improved=True))
    _, t_nx_eigen = timed(lambda: nx.eigenvector_centrality(sub_nx, max_iter=1000, tol=1e-6))
    _, t_rx_eigen = timed(lambda: rx.graph_eigenvector_centrality(sub_rx, max_iter=1000, tol=1e-6))
    _, t_nx_between = timed(lambda: nx.betweenness_centrality(sub_nx))
    _, t_rx_between = timed(lambda: rx.graph_betweenness_centrality(sub_rx, normalized=True))
    rows: list[tuple[object, ...]] = [
        (f"full graph, sampled betweenness, {pivots} pivots", f"{t_nx_sampled:.2f}", f"{t_ours:.2f} (ours)",
         f"{t_nx_sampled / t_ours:.0f}x"),
        (f"{sub.n:,}-node BFS-sample subgraph ({sub.edges.shape[0]:,} edges), exact betweenness",
         f"{t_nx_between:.2f}", f"{t_rx_between:.2f} (rustworkx)", f"{t_nx_between / t_rx_between:.0f}x"),
        ("same subgraph, closeness", f"{t_nx_close:.2f}", f"{t_rx_close:.2f} (rustworkx)",
         f"{t_nx_close / t_rx_close:.0f}x"),
        ("same subgraph, eigenvector", f"{t_nx_eigen:.3f}", f"{t_rx_eigen:.3f} (rustworkx)",
         f"{t_nx_eigen / max(t_rx_eigen, 1e-9):.0f}x")]
    table("3. networkx side by side (networkx exact betweenness on the full graph, ~20 min, is not run; "
          "its samples are documented here)", ("computation", "networkx s", "ours / rustworkx s", "networkx / ours"),
          rows)


def _snowball_subgraph(simple: SimpleGraph, size: int, seed: int) -> SimpleGraph:
    """The subgraph induced by the first ``size`` nodes a BFS reaches from a random start node.

    A uniformly random node set would induce an almost empty subgraph of this sparse graph (2,000
    random nodes keep ~850 of 38,000 edges); a BFS ("snowball") sample keeps the connected
    core-and-periphery structure the centralities are about.
    """
    adjacency = simple.adjacency()
    _, labels = csgraph.connected_components(adjacency, directed=False)
    giant = np.flatnonzero(labels == np.bincount(labels).argmax())
    start = int(np.random.default_rng(seed).choice(giant))
    chosen = np.sort(csgraph.breadth_first_order(adjacency, start, directed=False, return_predecessors=False)[:size])
    position = np.full(simple.n, -1)
    position[chosen] = np.arange(chosen.size)
    kept = simple.edges[(position[simple.edges[:, 0]] >= 0) & (position[simple.edges[:, 1]] >= 0)]
    return SimpleGraph(pubkeys=tuple(simple.pubkeys[i] for i in chosen), edges=position[kept],
                       degree=simple.degree[chosen])


def bench_cache_and_end_to_end(graph: Graph, pivots: int) -> None:
    """Cold vs warm cached topology, and a whole cold pass (load + statistics + sampled topology)."""
    with tempfile.TemporaryDirectory() as cache:
        _, cold = timed(lambda: cached_topology(graph, Path(cache), method="sampled", n_pivots=pivots))
        _, warm = timed(lambda: cached_topology(graph, Path(cache), method="sampled", n_pivots=pivots))
        _, graph_cold = timed(lambda: cached_graph(DATA / FILES[0][1], Path(cache)))
        _, graph_warm = timed(lambda: cached_graph(DATA / FILES[0][1], Path(cache)))

    def whole() -> None:
        g = load_graph(DATA / FILES[0][1])
        network_stats(g)
        peer_stats(g, list(g.nodes)[:100], exclude_pubkey=None)
        compute_topology(g, method="sampled", n_pivots=pivots)

    _, end_to_end = timed(whole)
    table("4. cache and end to end (2025 graph)", ("computation", "seconds"), [
        (f"cached_topology, cold (computes {pivots} pivots, writes .npz)", f"{cold:.2f}"),
        ("cached_topology, warm (reads .npz, key hashing included)", f"{warm:.2f}"),
        ("cached_graph, cold (parses the JSON, writes .msgpack)", f"{graph_cold:.2f}"),
        ("cached_graph, warm (decodes .msgpack into the domain types)", f"{graph_warm:.2f}"),
        ("cold pass: load_graph + network_stats + peer_stats(100) + sampled topology", f"{end_to_end:.2f}")])


def main() -> None:
    """Parse arguments and run every section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pivots", type=int, default=500, help="pivots of the sampled estimator")
    parser.add_argument("--repeat", type=int, default=3, help="load_graph runs per file")
    parser.add_argument("--quick", action="store_true", help="skip exact rustworkx and networkx runs")
    args = parser.parse_args()
    graph = bench_loads(args.repeat)
    bench_topology(graph, args.pivots, args.quick)
    if not args.quick:
        bench_networkx(graph, args.pivots)
    bench_cache_and_end_to_end(graph, args.pivots)


if __name__ == "__main__":
    main()
