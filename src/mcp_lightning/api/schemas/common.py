"""Shared response models: the error body, health, jobs, and the typed path parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

PUBKEY_PATTERN = r"^(02|03)[0-9a-f]{64}$"
EXAMPLE_PUBKEY = "03864ef025fde8fb587d989186ce6a4a186895ee44a926bfc370e2c366597a3f8f"
PubkeyPath = Annotated[str, Path(pattern=PUBKEY_PATTERN, description="Node id: 33-byte compressed public key, hex.",
                                 examples=[EXAMPLE_PUBKEY])]
ChanIdPath = Annotated[str, Path(pattern=r"^([0-9]{1,20}|[0-9]{1,8}x[0-9]{1,8}x[0-9]{1,5})$",
                                 description="Channel: LND uint64 chan_id (decimal) or short channel id BLOCKxTXxOUT.",
                                 examples=["1012390745342181377", "920776x1503x1"])]


class Model(BaseModel):
    """Base of every response model: unknown fields are refused, field names are the contract."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Model):
    """Every error response: a machine-readable code, a sentence for people, and what to do."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "error": "not_found", "detail": "node 03864e… is not in the graph snapshot 2025-10-26T03:59:17Z",
        "hint": "check the node id, or re-sync the graph with POST /api/v1/lightning/scores/recalculate",
        "request_id": "9f0c2d1e5b7a4c3d8e6f1a2b3c4d5e6f"}]})

    error: str = Field(description="Error code: snake_case of the error class, e.g. not_found, rate_limited.")
    detail: str = Field(description="What failed, for which item, with values and units.")
    hint: str | None = Field(None, description="What to do about it.")
    request_id: str | None = Field(None, description="The request id (X-Request-ID), also in the server logs.")
    errors: list[dict[str, Any]] | None = Field(None, description="Validation errors: location, message, type.")


class DependencyHealth(Model):
    """One dependency's state."""

    status: Literal["up", "down", "disabled"]
    circuit: Literal["closed", "open", "half_open"]
    detail: str | None = None
    latency_ms: float | None = None


class SnapshotInfo(Model):
    """The graph snapshot being served."""

    graph_fingerprint: str
    source: str
    snapshot_at: datetime
    loaded_at: datetime
    n_nodes: int
    n_channels: int
    scoring_seconds: float


class HealthOut(Model):
    """``healthy``: everything answers; ``degraded``: serving without Redis or without the database;
    ``unhealthy``: no graph snapshot to serve."""

    status: Literal["healthy", "degraded", "unhealthy"]
    checks: dict[str, DependencyHealth]
    snapshot: SnapshotInfo | None
    version: str
    uptime_s: float
    checked_at: datetime


class JobOut(Model):
    """A background job and how to poll it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "job_id": "5b0f3e1c9a4d4c2b8f7e6d5c4b3a2f10", "kind": "batch", "status": "done",
        "created_at": "2026-11-22T05:00:00Z", "finished_at": "2026-11-22T05:00:00.120000Z",
        "poll_url": "/api/v1/lightning/scores/jobs/5b0f3e1c9a4d4c2b8f7e6d5c4b3a2f10",
        "result": {"scores": {}, "not_found": []}, "error": None}]})

    job_id: str
    kind: Literal["batch", "recalculate"]
    status: Literal["queued", "running", "done", "failed"]
    created_at: datetime
    finished_at: datetime | None
    poll_url: str
    result: dict[str, Any] | None = Field(None, description="batch: {scores: {pubkey: NodeScore}, not_found: [...]}; "
                                                            "recalculate: the new snapshot's figures.")
    error: str | None = None
