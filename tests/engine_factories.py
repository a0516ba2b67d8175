"""Factories for the pure engine's inputs, with realistic defaults (a mid-sized routing channel).

Each is a plain function; keyword overrides replace any field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.domain.context import ChannelContext, FlowWindow
from mcp_lightning.domain.stats import Distribution, NetworkStats, NodeTopology, PeerStats
from mcp_lightning.units import Msat, Ppm, Sat

NOW = datetime(2026, 7, 7, 4, 0, tzinfo=UTC)
OUR_PUBKEY = "02c095d069538f96bf14c5f90f6c0851bdf354a0ec86039a24bf38a73f705adc2c"
PEER_PUBKEY = "03" + "ab" * 32


def make_distribution(p50: float = 100.0, *, spread: float = 4.0, n: int = 40) -> Distribution:
    """A log-symmetric distribution around ``p50``."""
    return Distribution(n, p50 / spread**2, p50 / spread, p50, p50 * spread, p50 * spread**2, p50 * spread**3)


def make_network(**overrides: Any) -> NetworkStats:
    """Network statistics shaped like the 2025-10-26 mainnet graph."""
    base = NetworkStats(
        n_nodes=12_842,
        n_channels=49_808,
        fee_rate_ppm=Distribution(97_458, 0, 1, 72, 500, 1500, 10_000),
        base_fee_msat=Distribution(97_458, 0, 0, 1000, 1000, 1000, 10_000),
        capacity_sat=Distribution(49_808, 100_000, 500_000, 2_000_000, 5_000_000, 10_000_000, 50_000_000),
        degree=Distribution(12_842, 1, 1, 2, 5, 15, 200),
    )
    return replace(base, **overrides)


def make_peer(**overrides: Any) -> PeerStats:
    """A well-connected peer whose competitors charge a median of 500 ppm."""
    base = PeerStats(
        pubkey=PEER_PUBKEY,
        degree=60,
        capacity_sat=300_000_000,
        n_competitors=59,
        fee_rate_ppm_towards=Distribution(59, 50, 250, 500, 1000, 2000, 4000),
        weighted_median_fee_rate_ppm=450.0,
        n_disabled_towards=3,
        outbound_fee_rate_ppm=300.0,
    )
    return replace(base, **overrides)


def make_topology(rank: float = 0.8, **overrides: Any) -> NodeTopology:
    """A peer in the top fifth of the graph by every centrality."""
    base = NodeTopology(
        degree=60,
        betweenness=0.001,
        closeness=0.35,
        eigenvector=0.02,
        betweenness_rank=rank,
        closeness_rank=rank,
        eigenvector_rank=rank,
        degree_rank=rank,
    )
    return replace(base, **overrides)


def make_policy(**overrides: Any) -> Policy:
    """Our outbound policy: 1 sat base, 500 ppm."""
    base = Policy(
        base_fee_msat=Msat(1000),
        fee_rate_ppm=Ppm(500),
        time_lock_delta=40,
        min_htlc_msat=Msat(1000),
        max_htlc_msat=Msat(4_950_000_000),
    )
    return replace(base, **overrides)


def make_channel(local_ratio: float = 0.5, **overrides: Any) -> Channel:
    """A 5 M sat channel opened at block 880,000, active, balanced by default."""
    capacity_sat = int(overrides.pop("capacity_sat", 5_000_000))
    local = round(capacity_sat * local_ratio)
    scid = overrides.pop("scid", ShortChannelId(880_000, 1234, 1))
    base = Channel(
        chan_id=scid.chan_id if scid else 1,
        scid=scid,
        chan_point=None,
        peer_pubkey=PEER_PUBKEY,
        peer_alias="peer",
        capacity_sat=Sat(capacity_sat),
        local_balance_sat=Sat(local),
        remote_balance_sat=Sat(capacity_sat - local),
        active=True,
        private=False,
        opener=Opener.LOCAL,
        local_policy=make_policy(),
        remote_policy=make_policy(fee_rate_ppm=Ppm(100)),
    )
    return replace(base, **overrides)


def make_flows(
    n_out_7d: int = 10, n_in_7d: int = 10, amount_msat: int = 200_000_000, fee_ppm: int = 500
) -> tuple[FlowWindow, ...]:
    """Windows of 1, 7 and 30 days with a steady daily rate (30 d = 4x the 7 d counts)."""

    def window(days: int, scale: float) -> FlowWindow:
        n_out, n_in = round(n_out_7d * scale), round(n_in_7d * scale)
        return FlowWindow(
            days,
            n_out,
            Msat(n_out * amount_msat),
            Msat(n_out * amount_msat * fee_ppm // 1_000_000),
            n_in,
            Msat(n_in * amount_msat),
        )

    return (window(1, 1 / 7), window(7, 1.0), window(30, 30 / 7))


def make_context(**overrides: Any) -> ChannelContext:
    """A healthy, balanced, active channel with a year of history, in a fresh graph."""
    channel = overrides.pop("channel", None) or make_channel()
    flows = overrides.pop("flows", None) or make_flows()
    base = ChannelContext(
        channel=channel,
        node_pubkey=OUR_PUBKEY,
        now=NOW,
        block_height=905_000,
        flows=flows,
        last_forward_at=NOW - timedelta(hours=3),
        history_days=365.0,
        network=make_network(),
        peer=make_peer(),
        peer_topology=make_topology(),
        in_graph=True,
        graph_age_days=1.0,
    )
    return replace(base, **overrides)


def idle_flows() -> tuple[FlowWindow, ...]:
    """No forward in any window."""
    return (FlowWindow(1), FlowWindow(7), FlowWindow(30))
