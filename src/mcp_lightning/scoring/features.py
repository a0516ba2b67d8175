"""Per-node figures of a whole graph snapshot, gathered in one pass and kept as numpy columns.

Every node counts: the announced nodes (``graph.nodes``) and every channel endpoint, sorted by
node id. A node without channels has zero counts and NaN medians. A direction whose policy is null
counts as a channel of the node that it did not announce (so it is not enabled).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from mcp_lightning.domain.graph import Graph
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits
from mcp_lightning.units import SECONDS_PER_DAY

MIN_NETWORK_MEDIAN_PPM = 1.0
"""Floor of the network median fee rate used as a reference (a median of 0 ppm would divide by 0)."""


@dataclass(frozen=True, slots=True)
class NodeFeatures:
    """Raw figures of every node of a snapshot, as aligned columns (index i is ``pubkeys[i]``).

    Attributes:
        pubkeys: node ids, sorted.
        index: node id -> row.
        aliases: alias per row ("" when unknown).
        n_channels: (n,) int64, public channels of the node.
        capacity_sat: (n,) int64, total public capacity, sat.
        n_announced: (n,) int64, directions whose policy the node announced (not null).
        n_disabled: (n,) int64, announced directions with the disable bit set.
        median_fee_rate_ppm: (n,) float64, median fee_rate_ppm of the node's enabled, plausible
            policies; NaN when it has none.
        median_policy_age_days: (n,) float64, median age of the node's announced policies at
            ``reference_at``, days (>= 0); NaN when no policy carries a time.
        network_median_fee_rate_ppm: median fee_rate_ppm of every enabled, plausible policy of the
            snapshot (at least ``MIN_NETWORK_MEDIAN_PPM``).
        channel_capacities_sorted: (m,) int64, every channel's capacity, sat, ascending.
        node_capacities_sorted: (n,) int64, every node's total capacity, sat, ascending.
        reference_at: the time ages are measured at (UTC).
    """

    pubkeys: tuple[str, ...]
    index: Mapping[str, int]
    aliases: tuple[str, ...]
    n_channels: np.ndarray
    capacity_sat: np.ndarray
    n_announced: np.ndarray
    n_disabled: np.ndarray
    median_fee_rate_ppm: np.ndarray
    median_policy_age_days: np.ndarray
    network_median_fee_rate_ppm: float
    channel_capacities_sorted: np.ndarray
    node_capacities_sorted: np.ndarray
    reference_at: datetime

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.pubkeys)


def group_medians(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` per group, ignoring NaN values.

    Args:
        groups: (k,) int group of each value, in [0, n_groups).
        values: (k,) float values.
        n_groups: number of groups.

    Returns:
        (n_groups,) float64: the median of each group (mean of the two middle values for an even
        count), NaN for a group without values.
    """
    keep = ~np.isnan(values)
    group, value = groups[keep], values[keep]
    order = np.lexsort((value, group))
    value = value[order]
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    medians = np.full(n_groups, np.nan)
    present = counts > 0
    low = starts[present] + (counts[present] - 1) // 2
    high = starts[present] + counts[present] // 2
    medians[present] = (value[low] + value[high]) / 2.0
    return medians


def node_features(graph: Graph, *, now: datetime, limits: IngestLimits = DEFAULT_LIMITS) -> NodeFeatures:
    """Gather the figures of every node of ``graph`` in one pass over its channels.

    Args:
        graph: the snapshot.
        now: the time policy ages are measured at (UTC); usually ``graph.taken_at``.
        limits: what counts as an absurd fee (left out of fee medians, as in ``network_stats``).

    Returns:
        The aligned columns; see ``NodeFeatures``.

    Source: BOLT 7 ``channel_update`` (fee_proportional_millionths, the disable bit, timestamp).
    """
    pubkeys = tuple(sorted(set(graph.nodes) | {p for c in graph.channels for p in (c.node1_pubkey, c.node2_pubkey)}))
    index = {pubkey: i for i, pubkey in enumerate(pubkeys)}
    ends: list[int] = []
    capacities: list[int] = []
    owners: list[int] = []
    disabled: list[bool] = []
    fees: list[float] = []
    stamps: list[float] = []
    nan, usable = math.nan, limits.fee_usable
    for channel in graph.channels:
        first, second = index[channel.node1_pubkey], index[channel.node2_pubkey]
        ends += (first, second)
        capacities.append(channel.capacity_sat)
        for owner, policy in ((first, channel.node1_policy), (second, channel.node2_policy)):
            if policy is None:
                continue
            owners.append(owner)
            disabled.append(policy.disabled)
            fees.append(float(policy.fee_rate_ppm) if usable(policy) else nan)
            stamps.append(policy.last_update_at.timestamp() if policy.last_update_at is not None else nan)
    return _assemble(graph, pubkeys, index, now, np.array(ends, dtype=np.int64),
                     np.array(capacities, dtype=np.int64), np.array(owners, dtype=np.int64),
                     np.array(disabled, dtype=bool), np.array(fees, dtype=np.float64),
                     np.array(stamps, dtype=np.float64))


def _assemble(graph: Graph, pubkeys: tuple[str, ...], index: dict[str, int], now: datetime, ends: np.ndarray,
              capacities: np.ndarray, owners: np.ndarray, disabled: np.ndarray, fees: np.ndarray,
              stamps: np.ndarray) -> NodeFeatures:
    n = len(pubkeys)
    per_end_capacity = np.repeat(capacities, 2)
    ages_days = np.maximum(0.0, (now.timestamp() - stamps) / SECONDS_PER_DAY)
    node_capacity = np.bincount(ends, weights=per_end_capacity, minlength=n).round().astype(np.int64)
    usable_fees = fees[~np.isnan(fees)]
    network_median = float(np.median(usable_fees)) if usable_fees.size else 0.0
    return NodeFeatures(
        pubkeys=pubkeys,
        index=index,
        aliases=tuple(graph.nodes[p].alias if p in graph.nodes else "" for p in pubkeys),
        n_channels=np.bincount(ends, minlength=n).astype(np.int64),
        capacity_sat=node_capacity,
        n_announced=np.bincount(owners, minlength=n).astype(np.int64),
        n_disabled=np.bincount(owners, weights=disabled, minlength=n).round().astype(np.int64),
        median_fee_rate_ppm=group_medians(owners, fees, n),
        median_policy_age_days=group_medians(owners, ages_days, n),
        network_median_fee_rate_ppm=max(MIN_NETWORK_MEDIAN_PPM, network_median),
        channel_capacities_sorted=np.sort(capacities),
        node_capacities_sorted=np.sort(node_capacity),
        reference_at=now,
    )
