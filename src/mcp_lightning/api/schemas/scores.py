"""Response and request models of the score endpoints (nodes, channels, rankings, batch)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from mcp_lightning.api.schemas.common import EXAMPLE_PUBKEY, PUBKEY_PATTERN, Model

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class ScoreValue(Model):
    """A score in [0, 1] (1 = best) and the one-line reason behind it."""

    value: Unit
    reason: str


class NodeScores(Model):
    """The five node scores."""

    centrality: ScoreValue
    reliability: ScoreValue
    capacity: ScoreValue
    fee_competitiveness: ScoreValue
    composite: ScoreValue


_NODE_EXAMPLE: dict[str, Any] = {
    "pubkey": EXAMPLE_PUBKEY, "alias": "ACINQ", "n_channels": 1830, "capacity_sat": 38_000_000_000,
    "median_fee_rate_ppm": 250.0, "median_policy_age_days": 1.2, "n_disabled": 12, "rank": 3, "n_nodes": 12842,
    "scores": {name: {"value": 0.9, "reason": "…"} for name in
               ("centrality", "reliability", "capacity", "fee_competitiveness", "composite")},
    "graph_fingerprint": "9c1e…", "snapshot_at": "2025-10-26T03:59:17Z", "scoring_version": 1}


class NodeScoreOut(Model):
    """A node's scores in the snapshot being served, with the figures behind them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NODE_EXAMPLE]})

    pubkey: str
    alias: str
    n_channels: int = Field(ge=0)
    capacity_sat: int = Field(ge=0, description="Total public capacity, sat.")
    median_fee_rate_ppm: float | None = Field(description="Median fee rate of its enabled policies, ppm.")
    median_policy_age_days: float | None = Field(description="Median age of its policies at the snapshot, days.")
    n_disabled: int = Field(ge=0, description="Channel directions it announced as disabled.")
    rank: int = Field(ge=1, description="Position by composite score in the whole network, 1 = best.")
    n_nodes: int = Field(ge=1, description="Nodes in the snapshot (the ranking's length).")
    scores: NodeScores
    graph_fingerprint: str
    snapshot_at: datetime
    scoring_version: int


class RankingItem(Model):
    """One row of a ranking (scores without reasons)."""

    pubkey: str
    alias: str
    rank: int = Field(ge=1)
    n_channels: int = Field(ge=0)
    capacity_sat: int = Field(ge=0)
    centrality: Unit
    reliability: Unit
    capacity: Unit
    fee_competitiveness: Unit
    composite: Unit


class RankingsOut(Model):
    """A page of the whole network's ranking."""

    total: int = Field(ge=0, description="Nodes matching the filters.")
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
    sort_by: str
    order: str
    graph_fingerprint: str
    snapshot_at: datetime
    items: list[RankingItem]


class DirectionOut(Model):
    """One direction of a channel: the policy set by ``from_pubkey``."""

    from_pubkey: str
    announced: bool
    enabled: bool
    fee_rate_ppm: int | None
    base_fee_msat: int | None
    last_update_at: datetime | None
    fee_competitiveness: Unit


class ChannelScores(Model):
    """The five channel scores."""

    capacity: ScoreValue
    availability: ScoreValue
    fee_competitiveness: ScoreValue
    endpoints: ScoreValue
    composite: ScoreValue


class ChannelScoreOut(Model):
    """A public channel's scores in the snapshot being served."""

    chan_id: str = Field(description="LND uint64 channel id as decimal text (exceeds JavaScript integers).")
    scid: str
    node1_pubkey: str
    node2_pubkey: str
    capacity_sat: int = Field(ge=0)
    scores: ChannelScores
    directions: list[DirectionOut]
    graph_fingerprint: str
    snapshot_at: datetime


PubkeyItem = Annotated[str, StringConstraints(pattern=PUBKEY_PATTERN)]


class BatchRequest(Model):
    """Up to 100 node ids to score in the background."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"pubkeys": [EXAMPLE_PUBKEY]}]})

    pubkeys: list[PubkeyItem] = Field(min_length=1, max_length=100)
