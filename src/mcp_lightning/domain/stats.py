"""Robust network statistics and topology figures (values only; computed in ``graph/``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Distribution:
    """Robust summary of a sample: percentiles, never a mean (fee samples hold 4,294,967,295 ppm).

    All percentiles are in the unit of the sample; ``n`` is the sample size (0 means empty, every
    percentile then 0.0).
    """

    n: int
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    p99: float

    @property
    def empty(self) -> bool:
        """True when the sample had no values."""
        return self.n == 0


@dataclass(frozen=True, slots=True)
class NetworkStats:
    """Network-wide figures over enabled policies and public channels.

    Attributes:
        n_nodes: nodes with at least one channel.
        n_channels: public channels.
        fee_rate_ppm: distribution of enabled policies' fee_rate_ppm.
        base_fee_msat: distribution of enabled policies' base_fee_msat.
        capacity_sat: distribution of channel capacities, sat.
        degree: distribution of node degrees (channels per node).
    """

    n_nodes: int
    n_channels: int
    fee_rate_ppm: Distribution
    base_fee_msat: Distribution
    capacity_sat: Distribution
    degree: Distribution


@dataclass(frozen=True, slots=True)
class PeerStats:
    """How the rest of the network reaches one peer.

    The competition for routing *into* a peer is every other channel to that peer; what those charge
    is the policy set by their far end towards the peer.

    Attributes:
        pubkey: the peer's node id.
        degree: the peer's public channels.
        capacity_sat: the peer's total public capacity, sat.
        n_competitors: channels to the peer other than ours with an enabled policy towards it.
        fee_rate_ppm_towards: distribution of those policies' fee_rate_ppm.
        weighted_median_fee_rate_ppm: capacity-weighted median of the same (CLBOSS-style); 0 when none.
        n_disabled_towards: the peer's channels whose policy towards it is disabled.
        outbound_fee_rate_ppm: median fee_rate_ppm the peer itself charges on its channels.
    """

    pubkey: str
    degree: int
    capacity_sat: int
    n_competitors: int
    fee_rate_ppm_towards: Distribution
    weighted_median_fee_rate_ppm: float
    n_disabled_towards: int
    outbound_fee_rate_ppm: float


@dataclass(frozen=True, slots=True)
class NodeTopology:
    """A node's position in the graph, each as a value and as a percentile rank in [0, 1].

    Attributes:
        degree: number of channels.
        betweenness: normalised betweenness centrality in [0, 1].
        closeness: closeness centrality in [0, 1].
        eigenvector: eigenvector centrality in [0, 1].
        betweenness_rank: share of nodes with a lower betweenness, [0, 1].
        closeness_rank: same for closeness.
        eigenvector_rank: same for eigenvector centrality.
        degree_rank: same for degree.
    """

    degree: int
    betweenness: float
    closeness: float
    eigenvector: float
    betweenness_rank: float
    closeness_rank: float
    eigenvector_rank: float
    degree_rank: float
