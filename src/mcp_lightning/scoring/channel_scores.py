"""The score of one public channel, from its own policies and its two endpoints' node scores.

``composite = 0.3 capacity + 0.3 availability + 0.2 fee_competitiveness + 0.2 endpoints`` where

* ``capacity`` is the share of the snapshot's channels with a strictly smaller capacity;
* ``availability`` is the share of its two directions announced and enabled;
* ``fee_competitiveness`` is the mean over enabled, plausible directions of ``m / (m + fee_rate_ppm)``
  (``m`` the network median fee rate; 0 when no direction qualifies), as for nodes;
* ``endpoints`` is the mean composite score of its two nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.graph import GraphChannel
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits
from mcp_lightning.scoring.node_scores import ScoreTable
from mcp_lightning.units import SECONDS_PER_DAY

CHANNEL_WEIGHTS = {"capacity": 0.3, "availability": 0.3, "fee_competitiveness": 0.2, "endpoints": 0.2}


@dataclass(frozen=True, slots=True)
class DirectionScore:
    """One direction of a channel: the policy set by ``from_pubkey``.

    Attributes:
        from_pubkey: the node that set the policy.
        announced: a policy exists for this direction.
        enabled: announced and not disabled.
        fee_rate_ppm: its fee rate, ppm; None when not announced.
        base_fee_msat: its base fee, msat; None when not announced.
        last_update_at: its time (UTC); None when unknown.
        fee_competitiveness: ``m / (m + fee_rate_ppm)`` in [0, 1]; 0 when not usable.
    """

    from_pubkey: str
    announced: bool
    enabled: bool
    fee_rate_ppm: int | None
    base_fee_msat: int | None
    last_update_at: datetime | None
    fee_competitiveness: float


@dataclass(frozen=True, slots=True)
class ChannelScore:
    """A channel's scores, each in [0, 1], with reasons and both directions."""

    chan_id: int
    scid: str
    node1_pubkey: str
    node2_pubkey: str
    capacity_sat: int
    capacity: float
    availability: float
    fee_competitiveness: float
    endpoints: float
    composite: float
    directions: tuple[DirectionScore, DirectionScore]
    reasons: Mapping[str, str]


def _direction(pubkey: str, policy: Policy | None, network_ppm: float, limits: IngestLimits) -> DirectionScore:
    usable = limits.fee_usable(policy)
    return DirectionScore(
        from_pubkey=pubkey, announced=policy is not None, enabled=policy is not None and not policy.disabled,
        fee_rate_ppm=None if policy is None else int(policy.fee_rate_ppm),
        base_fee_msat=None if policy is None else int(policy.base_fee_msat),
        last_update_at=None if policy is None else policy.last_update_at,
        fee_competitiveness=(network_ppm / (network_ppm + policy.fee_rate_ppm)) if usable and policy else 0.0,
    )


def score_channel(table: ScoreTable, channel: GraphChannel, *, limits: IngestLimits = DEFAULT_LIMITS) -> ChannelScore:
    """Score one channel of the table's snapshot.

    Args:
        table: the snapshot's node scores (for the endpoints and the network figures).
        channel: a channel of the same snapshot.
        limits: what counts as an absurd fee.

    Returns:
        The channel's scores; see the module docstring for the formulas.
    """
    f = table.features
    network_ppm = f.network_median_fee_rate_ppm
    directions = (_direction(channel.node1_pubkey, channel.node1_policy, network_ppm, limits),
                  _direction(channel.node2_pubkey, channel.node2_policy, network_ppm, limits))
    n_all = f.channel_capacities_sorted.size
    below = int(np.searchsorted(f.channel_capacities_sorted, channel.capacity_sat, side="left"))
    capacity = below / (n_all - 1) if n_all > 1 else 0.0
    availability = sum(d.enabled for d in directions) / 2
    usable = [d.fee_competitiveness for d in directions if d.fee_competitiveness > 0]
    fee = sum(usable) / len(usable) if usable else 0.0
    composites = [table.scores["composite"][f.index[p]] for p in (channel.node1_pubkey, channel.node2_pubkey)]
    endpoints = float(sum(composites)) / 2
    values = {"capacity": capacity, "availability": availability, "fee_competitiveness": fee, "endpoints": endpoints}
    composite = sum(CHANNEL_WEIGHTS[k] * v for k, v in values.items()) / sum(CHANNEL_WEIGHTS.values())
    return ChannelScore(
        chan_id=channel.chan_id, scid=str(channel.scid), node1_pubkey=channel.node1_pubkey,
        node2_pubkey=channel.node2_pubkey, capacity_sat=int(channel.capacity_sat), capacity=capacity,
        availability=availability, fee_competitiveness=fee, endpoints=endpoints,
        composite=min(1.0, max(0.0, composite)), directions=directions,
        reasons=_reasons(channel, capacity, directions, network_ppm, composites, table.taken_at),
    )


def _reasons(channel: GraphChannel, capacity: float, directions: tuple[DirectionScore, DirectionScore],
             network_ppm: float, composites: list[float], taken_at: datetime) -> dict[str, str]:
    def shown(d: DirectionScore) -> str:
        if not d.announced:
            return f"{d.from_pubkey[:12]}… announced no policy"
        age_days = None if d.last_update_at is None else (taken_at - d.last_update_at).total_seconds() / SECONDS_PER_DAY
        age = "" if age_days is None else f", updated {age_days:.1f} days before the snapshot"
        return f"{d.from_pubkey[:12]}… charges {d.fee_rate_ppm} ppm{' (disabled)' if not d.enabled else ''}{age}"

    fees = [d.fee_rate_ppm for d in directions if d.fee_competitiveness > 0]
    return {
        "capacity": f"{int(channel.capacity_sat):,} sat, larger than {capacity:.0%} of public channels.",
        "availability": "; ".join(shown(d) for d in directions) + ".",
        "fee_competitiveness": (f"Enabled fee rates {fees} ppm against the network median {network_ppm:g} ppm."
                                if fees else "No enabled, plausible direction: the channel cannot route."),
        "endpoints": f"Endpoint composite scores {composites[0]:.2f} and {composites[1]:.2f}.",
        "composite": "Weighted mean: " + ", ".join(f"{k} {w:g}" for k, w in CHANNEL_WEIGHTS.items()) + ".",
    }

