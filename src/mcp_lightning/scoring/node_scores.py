"""Scores of EVERY node of a snapshot, each in [0, 1] with a one-line reason, computed as numpy columns.

The four scores and their formulas (``x`` is the node's figure, ranks are shares of the other
nodes with a strictly lower value, as in ``graph.topology.percentile_ranks``):

* ``centrality = 0.4 betweenness_rank + 0.3 eigenvector_rank + 0.2 closeness_rank + 0.1 degree_rank``
  from the snapshot's topology; 0 for a node outside the routing graph. Betweenness weighs most
  because it counts the shortest paths a node sits on, i.e. the payments it can route.
* ``reliability = enabled_share * 0.5 ** (median_policy_age_days / half_life_days)`` where
  ``enabled_share`` is the node's enabled directions over its channels (a null policy counts as not
  enabled) and the half-life defaults to 14 days, LND's zombie horizon: a node that stopped
  refreshing its ``channel_update`` s for two weeks is about to be pruned. Unknown ages (2019-style
  files) leave the share alone. 0 for a node without channels.
* ``capacity = capacity_rank``: the share of nodes with less total public capacity.
* ``fee_competitiveness = m / (m + median_fee_rate_ppm)`` with ``m`` the network's median fee rate:
  1 at 0 ppm, 0.5 at the network median, 0.09 at ten times it; 0 for a node with no enabled,
  plausible outbound policy (nobody can route through it).
* ``composite`` is the weighted mean (default weights 0.35, 0.25, 0.25, 0.15).

``score_nodes`` computes all of them for the whole graph at once; ``rescore_node`` recomputes one
node's row through the same array functions (what the API's ``force_recalculate`` does).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.stats import NodeTopology
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits
from mcp_lightning.scoring.features import NodeFeatures, node_features
from mcp_lightning.scoring.reasons import node_reasons

SCORING_VERSION = 1
"""Bump when a formula changes: stored scores and cache keys carry it."""
SCORE_NAMES = ("centrality", "reliability", "capacity", "fee_competitiveness", "composite")
CENTRALITY_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
"""Weights of the betweenness, eigenvector, closeness and degree ranks in ``centrality``."""


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the composite (any non-negative values; they are normalised) and the recency half-life.

    Attributes:
        centrality: weight of centrality.
        reliability: weight of reliability.
        capacity: weight of capacity.
        fee_competitiveness: weight of fee competitiveness.
        half_life_days: policy age at which reliability halves, days (> 0).
    """

    centrality: float = 0.35
    reliability: float = 0.25
    capacity: float = 0.25
    fee_competitiveness: float = 0.15
    half_life_days: float = 14.0


@dataclass(frozen=True, slots=True)
class NodeScore:
    """One node's scores and the figures behind them.

    Attributes:
        pubkey: node id.
        alias: alias ("" when unknown).
        n_channels: public channels.
        capacity_sat: total public capacity, sat.
        median_fee_rate_ppm: median fee rate of its enabled, plausible policies; None when none.
        median_policy_age_days: median age of its announced policies, days; None when unknown.
        n_disabled: announced directions with the disable bit.
        centrality, reliability, capacity, fee_competitiveness, composite: scores in [0, 1].
        rank: 1-based position by composite, best first (ties by node id).
        reasons: score name -> one-line reason.
    """

    pubkey: str
    alias: str
    n_channels: int
    capacity_sat: int
    median_fee_rate_ppm: float | None
    median_policy_age_days: float | None
    n_disabled: int
    centrality: float
    reliability: float
    capacity: float
    fee_competitiveness: float
    composite: float
    rank: int
    reasons: Mapping[str, str]


@dataclass(frozen=True)
class ScoreTable:
    """Every node's scores as columns, plus what they were computed from.

    Attributes:
        features: the raw figures.
        topology_ranks: (n, 4) betweenness, eigenvector, closeness, degree ranks (0 when absent).
        in_topology: (n,) bool, the node is in the routing graph.
        scores: score name -> (n,) float64 column.
        rank: (n,) int64, 1-based composite rank.
        weights: the weights used.
        graph_fingerprint: sha256 of the graph file.
        taken_at: snapshot time (UTC).
        seconds: wall time of ``score_nodes``, s.
    """

    features: NodeFeatures
    topology_ranks: np.ndarray
    in_topology: np.ndarray
    scores: Mapping[str, np.ndarray]
    rank: np.ndarray
    weights: ScoreWeights
    graph_fingerprint: str
    taken_at: datetime
    seconds: float
    _orders: dict[tuple[str, bool], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return self.features.n

    def __contains__(self, pubkey: object) -> bool:
        return pubkey in self.features.index

    def node(self, pubkey: str) -> NodeScore | None:
        """The scores of ``pubkey``, or None when it is not in the snapshot."""
        row = self.features.index.get(pubkey)
        return None if row is None else self.row(row)

    def row(self, row: int) -> NodeScore:
        """The scores of the node at ``row``."""
        f = self.features
        values = {name: float(self.scores[name][row]) for name in SCORE_NAMES}
        fee = float(f.median_fee_rate_ppm[row])
        age = float(f.median_policy_age_days[row])
        return NodeScore(
            pubkey=f.pubkeys[row], alias=f.aliases[row], n_channels=int(f.n_channels[row]),
            capacity_sat=int(f.capacity_sat[row]), median_fee_rate_ppm=None if np.isnan(fee) else fee,
            median_policy_age_days=None if np.isnan(age) else round(age, 3), n_disabled=int(f.n_disabled[row]),
            rank=int(self.rank[row]), reasons=node_reasons(f, row, self.topology_ranks[row],
                                                           bool(self.in_topology[row]), values, self.weights),
            **values,
        )

    def order(self, sort_by: str, descending: bool) -> np.ndarray:
        """Row indices sorted by a score or figure (ties by node id), memoised per key.

        Raises:
            KeyError: for an unknown ``sort_by``.
        """
        key = (sort_by, descending)
        cached = self._orders.get(key)
        if cached is None:
            column = self.column(sort_by).astype(np.float64)
            cached = np.argsort(-column if descending else column, kind="stable")
            self._orders[key] = cached
        return cached

    def column(self, name: str) -> np.ndarray:
        """A score column, or the figure ``capacity_sat`` / ``n_channels``.

        Raises:
            KeyError: for an unknown name.
        """
        if name in self.scores:
            return self.scores[name]
        if name in ("capacity_sat", "n_channels"):
            return np.asarray(getattr(self.features, name))
        raise KeyError(name)


def topology_columns(features: NodeFeatures, topology: Mapping[str, NodeTopology]) -> tuple[np.ndarray, np.ndarray]:
    """Align the topology's ranks with the feature rows.

    Returns:
        ``(ranks, present)``: (n, 4) betweenness, eigenvector, closeness, degree ranks (0 for a
        node outside the topology) and (n,) bool presence.
    """
    ranks = np.zeros((features.n, 4))
    present = np.zeros(features.n, dtype=bool)
    for row, pubkey in enumerate(features.pubkeys):
        figures = topology.get(pubkey)
        if figures is not None:
            ranks[row] = (figures.betweenness_rank, figures.eigenvector_rank, figures.closeness_rank,
                          figures.degree_rank)
            present[row] = True
    return ranks, present


def centrality_values(ranks: np.ndarray) -> np.ndarray:
    """``ranks @ CENTRALITY_WEIGHTS`` for an (k, 4) rank array, in [0, 1]."""
    weighted: np.ndarray = np.clip(ranks @ np.asarray(CENTRALITY_WEIGHTS), 0.0, 1.0)
    return weighted


def reliability_values(n_channels: np.ndarray, n_announced: np.ndarray, n_disabled: np.ndarray,
                       age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """``enabled_share * 0.5 ** (age / half_life)`` (unknown age: factor 1; no channel: 0)."""
    enabled = np.divide(n_announced - n_disabled, n_channels, out=np.zeros(n_channels.shape),
                        where=n_channels > 0)
    recency = np.where(np.isnan(age_days), 1.0, 0.5 ** (np.nan_to_num(age_days) / half_life_days))
    result: np.ndarray = np.clip(enabled * recency, 0.0, 1.0)
    return result


def capacity_values(capacity_sat: np.ndarray, all_capacities_sorted: np.ndarray) -> np.ndarray:
    """Share of the other nodes with strictly less capacity, in [0, 1]."""
    n = all_capacities_sorted.size
    if n <= 1:
        return np.zeros(capacity_sat.shape)
    below: np.ndarray = np.searchsorted(all_capacities_sorted, capacity_sat, side="left")
    return below / (n - 1)


def fee_values(median_fee_rate_ppm: np.ndarray, network_median_ppm: float) -> np.ndarray:
    """``m / (m + fee)``; 0 where the node has no usable fee (NaN)."""
    fees = np.nan_to_num(median_fee_rate_ppm, nan=0.0)
    return np.where(np.isnan(median_fee_rate_ppm), 0.0, network_median_ppm / (network_median_ppm + fees))


def composite_values(columns: Mapping[str, np.ndarray], weights: ScoreWeights) -> np.ndarray:
    """Weighted mean of the four scores, in [0, 1]."""
    pairs = [(weights.centrality, columns["centrality"]), (weights.reliability, columns["reliability"]),
             (weights.capacity, columns["capacity"]), (weights.fee_competitiveness, columns["fee_competitiveness"])]
    total = sum(w for w, _ in pairs)
    if total <= 0:
        raise ValueError("the composite weights must not all be zero")
    return np.clip(sum(w * c for w, c in pairs) / total, 0.0, 1.0)


def _score_rows(features: NodeFeatures, ranks: np.ndarray, rows: np.ndarray | slice,
                weights: ScoreWeights) -> dict[str, np.ndarray]:
    f = features
    columns = {
        "centrality": centrality_values(ranks[rows]),
        "reliability": reliability_values(f.n_channels[rows], f.n_announced[rows], f.n_disabled[rows],
                                          f.median_policy_age_days[rows], weights.half_life_days),
        "capacity": capacity_values(f.capacity_sat[rows], f.node_capacities_sorted),
        "fee_competitiveness": fee_values(f.median_fee_rate_ppm[rows], f.network_median_fee_rate_ppm),
    }
    columns["composite"] = composite_values(columns, weights)
    return columns


def score_nodes(graph: Graph, topology: Mapping[str, NodeTopology], *, now: datetime | None = None,
                weights: ScoreWeights = ScoreWeights(), limits: IngestLimits = DEFAULT_LIMITS) -> ScoreTable:
    """Score every node of ``graph`` at once.

    Args:
        graph: the snapshot.
        topology: the snapshot's topology (``compute_topology`` or ``cached_topology``).
        now: the time policy ages are measured at (UTC); None -> ``graph.taken_at``.
        weights: composite weights and the recency half-life.
        limits: what counts as an absurd fee.

    Returns:
        The table of every node (announced nodes and channel endpoints), ranked by composite.

    Raises:
        ValueError: when every composite weight is zero.
    """
    started = time.perf_counter()
    features = node_features(graph, now=now or graph.taken_at, limits=limits)
    ranks, present = topology_columns(features, topology)
    columns = _score_rows(features, ranks, slice(None), weights)
    order = np.lexsort((np.arange(features.n), -columns["composite"]))
    rank = np.empty(features.n, dtype=np.int64)
    rank[order] = np.arange(1, features.n + 1)
    return ScoreTable(features=features, topology_ranks=ranks, in_topology=present, scores=columns, rank=rank,
                      weights=weights, graph_fingerprint=graph.fingerprint, taken_at=graph.taken_at,
                      seconds=time.perf_counter() - started)


def rescore_node(table: ScoreTable, pubkey: str) -> NodeScore | None:
    """Recompute one node's scores from the table's raw figures (same formulas, no stored column read).

    Returns:
        The node's fresh scores (its rank is the table's), or None when it is not in the snapshot.
    """
    row = table.features.index.get(pubkey)
    if row is None:
        return None
    fresh = _score_rows(table.features, table.topology_ranks, np.array([row]), table.weights)
    values = {name: float(fresh[name][0]) for name in SCORE_NAMES}
    stored = table.row(row)
    reasons = node_reasons(table.features, row, table.topology_ranks[row], bool(table.in_topology[row]), values,
                           table.weights)
    return NodeScore(**{**{k: getattr(stored, k) for k in NodeScore.__dataclass_fields__}, **values,
                        "reasons": reasons})
