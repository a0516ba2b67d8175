"""From domain values to response models (and JSON bytes ready to cache).

History models are validated from ``reporting.serialize`` dictionaries, so the API and
``mcpln run --json`` share one contract; datetimes always leave as ISO-8601 UTC text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcp_lightning.adapters.store import StoredDecision
from mcp_lightning.adapters.store.store_api import ScoreJob
from mcp_lightning.api.schemas.common import JobOut
from mcp_lightning.api.schemas.history import DecisionOut, PolicyChangeOut, RunOut
from mcp_lightning.api.schemas.scores import (
    ChannelScoreOut,
    ChannelScores,
    DirectionOut,
    NodeScoreOut,
    NodeScores,
    RankingItem,
    ScoreValue,
)
from mcp_lightning.api.snapshot import Snapshot
from mcp_lightning.engine.plan import PolicyChange, RunSummary
from mcp_lightning.reporting.serialize import iso, planned_dict, policy_dict, run_dict
from mcp_lightning.scoring.channel_scores import ChannelScore
from mcp_lightning.scoring.node_scores import SCORE_NAMES, SCORING_VERSION, NodeScore

JOBS_PATH = "/api/v1/lightning/scores/jobs/"


def to_json(model: BaseModel) -> bytes:
    """The model's JSON bytes (datetimes as ISO-8601)."""
    return model.__pydantic_serializer__.to_json(model)


def node_out(score: NodeScore, snapshot: Snapshot) -> NodeScoreOut:
    """A node's scores as served."""
    values = {name: ScoreValue(value=getattr(score, name), reason=score.reasons[name]) for name in SCORE_NAMES}
    return NodeScoreOut(
        pubkey=score.pubkey, alias=score.alias, n_channels=score.n_channels, capacity_sat=score.capacity_sat,
        median_fee_rate_ppm=score.median_fee_rate_ppm, median_policy_age_days=score.median_policy_age_days,
        n_disabled=score.n_disabled, rank=score.rank, n_nodes=len(snapshot.table), scores=NodeScores(**values),
        graph_fingerprint=snapshot.graph.fingerprint, snapshot_at=snapshot.graph.taken_at,
        scoring_version=SCORING_VERSION,
    )


def ranking_item(score: NodeScore) -> RankingItem:
    """A ranking row."""
    return RankingItem(pubkey=score.pubkey, alias=score.alias, rank=score.rank, n_channels=score.n_channels,
                       capacity_sat=score.capacity_sat, centrality=score.centrality, reliability=score.reliability,
                       capacity=score.capacity, fee_competitiveness=score.fee_competitiveness,
                       composite=score.composite)


def channel_out(score: ChannelScore, snapshot: Snapshot) -> ChannelScoreOut:
    """A channel's scores as served."""
    names = ("capacity", "availability", "fee_competitiveness", "endpoints", "composite")
    values = {name: ScoreValue(value=getattr(score, name), reason=score.reasons[name]) for name in names}
    directions = [DirectionOut(from_pubkey=d.from_pubkey, announced=d.announced, enabled=d.enabled,
                               fee_rate_ppm=d.fee_rate_ppm, base_fee_msat=d.base_fee_msat,
                               last_update_at=d.last_update_at, fee_competitiveness=d.fee_competitiveness)
                  for d in score.directions]
    return ChannelScoreOut(chan_id=str(score.chan_id), scid=score.scid, node1_pubkey=score.node1_pubkey,
                           node2_pubkey=score.node2_pubkey, capacity_sat=score.capacity_sat,
                           scores=ChannelScores(**values), directions=directions,
                           graph_fingerprint=snapshot.graph.fingerprint, snapshot_at=snapshot.graph.taken_at)


def run_out(run: RunSummary) -> RunOut:
    """A recorded run (``run_dict``)."""
    return RunOut.model_validate(run_dict(run))


def decision_out(decision: StoredDecision) -> DecisionOut:
    """A recorded decision (``planned_dict`` + run id + time)."""
    document: dict[str, Any] = planned_dict(decision.to_planned())
    return DecisionOut.model_validate({**document, "run_id": decision.run_id, "created_at": iso(decision.created_at)})


def change_out(change: PolicyChange) -> PolicyChangeOut:
    """A policy change."""
    return PolicyChangeOut.model_validate({"chan_id": str(change.chan_id), "applied_at": iso(change.applied_at),
                                           "old": policy_dict(change.old), "new": policy_dict(change.new),
                                           "run_id": change.run_id})


def job_out(job: ScoreJob) -> JobOut:
    """A job with its poll URL."""
    return JobOut(job_id=job.job_id, kind=job.kind, status=job.status,
                  created_at=job.created_at, finished_at=job.finished_at, poll_url=f"{JOBS_PATH}{job.job_id}",
                  result=job.result, error=job.error)
