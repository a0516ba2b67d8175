"""The FastAPI app factory: ``create_app(settings)``.

Start-up (lifespan) loads and scores the graph snapshot (required: without it the API has nothing
to serve), then tries the database (optional: the API starts in degraded mode when it is down),
stores the snapshot's scores in the background and starts the poller. Shutdown cancels the
background tasks and closes Redis and the database pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from mcp_lightning.api.dependencies import SECURITY_SCHEMES
from mcp_lightning.api.errors import handle_error
from mcp_lightning.api.jobs import persist_scores
from mcp_lightning.api.middleware import ApiMiddleware
from mcp_lightning.api.poller import poll_forever
from mcp_lightning.api.routes import health, history, jobs, scores
from mcp_lightning.api.routes.health import package_version
from mcp_lightning.api.settings import ServeSettings
from mcp_lightning.api.state import build_state
from mcp_lightning.bootstrap import default_graph_path
from mcp_lightning.errors import McplnError
from mcp_lightning.metrics import forget_this_process

DESCRIPTION = """Scores for every node and channel of the Lightning graph, rankings of the whole network,
and the fee manager's recorded runs, decisions and recommendations.

Authentication: optional for reads (100 requests/min per IP); an API key in `X-API-Key` raises the
limit to 1,000/min; batch needs the `read` scope, recalculate the `admin` scope. Heavy endpoints
(batch, recalculate, `force_recalculate`) are limited to 10/min. Every error is
`{"error": ..., "detail": ..., "hint": ..., "request_id": ...}`.
"""
TAGS = [
    {"name": "scores", "description": "Node and channel scores and rankings, from the in-memory graph snapshot."},
    {"name": "jobs", "description": "Background work: batches and whole-graph recalculation."},
    {"name": "history", "description": "Recorded runs, decisions, recommendations and policy changes."},
    {"name": "operations", "description": "Health and metrics."},
]


def create_app(settings: ServeSettings | None = None, *, graph_path: Path | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: the settings; None reads them from the environment.
        graph_path: the graph to serve; None -> ``MCPLN_GRAPH_PATH`` or the bundled 2025 graph.

    Returns:
        The app; its state is built when the lifespan starts (connections are opened there).
    """
    settings = settings or ServeSettings()
    chosen = graph_path or settings.graph_path

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings, chosen or default_graph_path())
        await anyio.to_thread.run_sync(state.snapshots.reload)
        app.state.api = state
        if await anyio.to_thread.run_sync(state.db.open_now):
            state.spawn(persist_scores(state))
        state.spawn(poll_forever(state))
        try:
            yield
        finally:
            for task in list(state.tasks):
                task.cancel()
            await asyncio.gather(*state.tasks, return_exceptions=True)
            await state.cache.close()
            await anyio.to_thread.run_sync(state.db.close)
            forget_this_process()

    app = FastAPI(title="MCP Lightning API", version=package_version(), description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=lifespan, redoc_url=None)
    for exception in (McplnError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exception, handle_error)
    for router in (scores.router, jobs.router, history.router, health.router):
        app.include_router(router)
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
                       expose_headers=["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                       "X-RateLimit-Reset", "Retry-After", "X-Cache"], max_age=600)
    app.add_middleware(ApiMiddleware, max_body_bytes=settings.max_body_bytes)
    app.openapi = lambda: _openapi_with_security(app)  # type: ignore[method-assign]
    return app


def _openapi_with_security(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the API key scheme on every ``/api/`` operation (optional for public reads)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                             tags=app.openapi_tags)
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, item in schema["paths"].items():
            if path.startswith("/api/"):
                for operation in item.values():
                    operation["security"] = [{"ApiKeyHeader": []}, {}]
        app.openapi_schema = schema
    return app.openapi_schema


def app_factory() -> FastAPI:
    """The app of one ``mcpln serve`` worker: settings from the environment, logging configured first."""
    from mcp_lightning.logging_setup import configure_logging

    settings = ServeSettings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    return create_app(settings)
