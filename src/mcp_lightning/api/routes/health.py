"""``GET /health`` (each dependency and an overall status) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response

from mcp_lightning.api.convert import to_json
from mcp_lightning.api.dependencies import get_state
from mcp_lightning.api.routes.common import json_response
from mcp_lightning.api.schemas.common import DependencyHealth, ErrorBody, HealthOut, SnapshotInfo
from mcp_lightning.api.state import AppState
from mcp_lightning.metrics import render_metrics

router = APIRouter(tags=["operations"])


def package_version() -> str:
    """The installed version of mcp-lightning ("unknown" when not installed)."""
    try:
        return version("mcp-lightning")
    except PackageNotFoundError:
        return "unknown"


async def _database(state: AppState) -> DependencyHealth:
    started = time.perf_counter()
    up = await state.db.ping()
    latency = round((time.perf_counter() - started) * 1000, 2)
    detail = state.db.url if up else "unreachable: scores are served from memory, writes are refused"
    return DependencyHealth(status="up" if up else "down", circuit=state.db.breaker.state,
                            detail=detail, latency_ms=latency if up else None)


async def _redis(state: AppState) -> DependencyHealth:
    circuit = state.redis_breaker.state
    started = time.perf_counter()
    answer = await state.cache.ping()
    latency = round((time.perf_counter() - started) * 1000, 2)
    if answer is None:
        return DependencyHealth(status="disabled", circuit="closed", detail="MCPLN_REDIS_URL unset: in-process cache")
    if not answer:
        return DependencyHealth(status="down", circuit=circuit,
                                detail="unreachable: serving without the shared cache, in-process rate limits")
    return DependencyHealth(status="up", circuit=state.redis_breaker.state,
                            latency_ms=latency)


def _snapshot(state: AppState) -> SnapshotInfo | None:
    if not state.snapshots.loaded:
        return None
    s = state.snapshots.current
    return SnapshotInfo(graph_fingerprint=s.graph.fingerprint, source=s.source, snapshot_at=s.graph.taken_at,
                        loaded_at=s.loaded_at, n_nodes=len(s.table), n_channels=len(s.graph.channels),
                        scoring_seconds=round(s.table.seconds, 4))


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Unhealthy."},
                                                             500: {"model": ErrorBody, "description": "Internal."}},
            summary="Each dependency's state and the overall status")
async def health(request: Request) -> Response:
    """``healthy`` (200), ``degraded`` (200: Redis or the database down, still serving) or ``unhealthy`` (503)."""
    state = get_state(request)
    checks = {"database": await _database(state), "redis": await _redis(state)}
    snapshot = _snapshot(state)
    if snapshot is None:
        status = "unhealthy"
    elif any(c.status == "down" for c in checks.values()):
        status = "degraded"
    else:
        status = "healthy"
    out = HealthOut(status=status, checks=checks, snapshot=snapshot, version=package_version(),
                    uptime_s=round(time.monotonic() - state.started_at, 3), checked_at=datetime.now(UTC))
    return json_response(to_json(out), status_code=503 if status == "unhealthy" else 200)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition."}})
async def metrics() -> Response:
    """Every metric of this server (of all its worker processes when running several)."""
    body, content_type = render_metrics()
    return Response(content=body, media_type=content_type)
