"""Robust network and per-peer fee statistics from a graph snapshot (pure: values in, values out).

Only robust figures: percentiles, medians and a capacity-weighted median. Never a mean of fees:
a single 4,294,967,295 ppm policy would dominate it. Disabled policies and policies with absurd
values (``IngestLimits.fee_usable``) are left out of every fee sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.stats import Distribution, NetworkStats, PeerStats
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits

PERCENTILES = (10, 25, 50, 75, 90, 99)
_EMPTY = Distribution(n=0, p10=0.0, p25=0.0, p50=0.0, p75=0.0, p90=0.0, p99=0.0)


def distribution(values: Sequence[float] | np.ndarray) -> Distribution:
    """Percentiles of a sample (linear interpolation between order statistics, numpy's default).

    Args:
        values: the sample, in any unit; may be empty.

    Returns:
        ``Distribution`` with ``n`` = sample size; all percentiles 0.0 when empty.
    """
    sample = np.asarray(values, dtype=np.float64)
    if sample.size == 0:
        return _EMPTY
    p10, p25, p50, p75, p90, p99 = (float(v) for v in np.percentile(sample, PERCENTILES))
    return Distribution(n=int(sample.size), p10=p10, p25=p25, p50=p50, p75=p75, p90=p90, p99=p99)


def weighted_median(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray) -> float:
    """The lower weighted median: the smallest value whose cumulative weight reaches half the total.

    Args:
        values: the sample.
        weights: one non-negative weight per value (here capacities, sat).

    Returns:
        The weighted median; 0.0 for an empty sample or zero total weight.

    Source: the usual definition (e.g. Cormen et al., problem 9-2); with equal weights it is the
    lower median.
    """
    sample = np.asarray(values, dtype=np.float64)
    weight = np.asarray(weights, dtype=np.float64)
    if sample.size == 0 or weight.sum() <= 0:
        return 0.0
    order = np.argsort(sample, kind="stable")
    cumulative = np.cumsum(weight[order])
    index = int(np.searchsorted(cumulative, cumulative[-1] / 2, side="left"))
    return float(sample[order][index])


def network_stats(graph: Graph, *, limits: IngestLimits = DEFAULT_LIMITS) -> NetworkStats:
    """Network-wide figures over public channels and their enabled, plausible policies.

    Args:
        graph: the snapshot.
        limits: what counts as absurd (policies above it are left out of fee samples).

    Returns:
        Node and channel counts and the distributions of fee_rate_ppm, base_fee_msat (enabled,
        plausible policies), capacity_sat (channels) and degree (nodes with at least one channel).
    """
    fee_rates: list[int] = []
    base_fees: list[int] = []
    degree: Counter[str] = Counter()
    for channel in graph.channels:
        degree[channel.node1_pubkey] += 1
        degree[channel.node2_pubkey] += 1
        for policy in (channel.node1_policy, channel.node2_policy):
            if policy is not None and limits.fee_usable(policy):
                fee_rates.append(policy.fee_rate_ppm)
                base_fees.append(policy.base_fee_msat)
    return NetworkStats(
        n_nodes=len(degree),
        n_channels=len(graph.channels),
        fee_rate_ppm=distribution(fee_rates),
        base_fee_msat=distribution(base_fees),
        capacity_sat=distribution([c.capacity_sat for c in graph.channels]),
        degree=distribution(list(degree.values())),
    )


@dataclass(slots=True)
class _PeerTally:
    degree: int = 0
    capacity_sat: int = 0
    n_disabled_towards: int = 0
    fees_towards: list[int] = field(default_factory=list)
    capacities_towards: list[int] = field(default_factory=list)
    fees_outbound: list[int] = field(default_factory=list)


def peer_stats(graph: Graph, pubkeys: Iterable[str], *, exclude_pubkey: str | None,
               limits: IngestLimits = DEFAULT_LIMITS) -> dict[str, PeerStats]:
    """How the rest of the network reaches each peer, in one pass over the channels.

    For peer P and each channel (P, X): the competition for routing into P is the policy set by X
    towards P. Channels whose far end is ``exclude_pubkey`` (our node) are left out of that
    competition, of ``n_competitors`` and of ``n_disabled_towards``; they still count in ``degree``
    and ``capacity_sat``.

    Args:
        graph: the snapshot.
        pubkeys: the peers to describe; a peer absent from the graph gets zero counts and empty
            distributions.
        exclude_pubkey: our own node id, or None to exclude nothing.
        limits: what counts as absurd.

    Returns:
        pubkey -> ``PeerStats``; ``weighted_median_fee_rate_ppm`` weights each competitor by its
        channel capacity; ``outbound_fee_rate_ppm`` is the median rate P itself charges (0.0 when none).
    """
    tallies = {pubkey: _PeerTally() for pubkey in pubkeys}
    for channel in graph.channels:
        for peer, far_end, towards, own in (
                (channel.node1_pubkey, channel.node2_pubkey, channel.node2_policy, channel.node1_policy),
                (channel.node2_pubkey, channel.node1_pubkey, channel.node1_policy, channel.node2_policy)):
            tally = tallies.get(peer)
            if tally is None:
                continue
            tally.degree += 1
            tally.capacity_sat += channel.capacity_sat
            if own is not None and limits.fee_usable(own):
                tally.fees_outbound.append(own.fee_rate_ppm)
            if far_end == exclude_pubkey or towards is None:
                continue
            if towards.disabled:
                tally.n_disabled_towards += 1
            elif limits.fee_usable(towards):
                tally.fees_towards.append(towards.fee_rate_ppm)
                tally.capacities_towards.append(channel.capacity_sat)
    return {pubkey: _peer_result(pubkey, tally) for pubkey, tally in tallies.items()}


def _peer_result(pubkey: str, tally: _PeerTally) -> PeerStats:
    outbound = distribution(tally.fees_outbound)
    return PeerStats(
        pubkey=pubkey,
        degree=tally.degree,
        capacity_sat=tally.capacity_sat,
        n_competitors=len(tally.fees_towards),
        fee_rate_ppm_towards=distribution(tally.fees_towards),
        weighted_median_fee_rate_ppm=weighted_median(tally.fees_towards, tally.capacities_towards),
        n_disabled_towards=tally.n_disabled_towards,
        outbound_fee_rate_ppm=outbound.p50,
    )
