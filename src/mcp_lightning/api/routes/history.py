"""Recorded runs, decisions, recommendations and policy changes (read from the store, cached).

When the database is down these answer from the last good copy (``X-Cache: stale``), or 503.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.store_api import ApiStore
from mcp_lightning.api.convert import change_out, decision_out, run_out, to_json
from mcp_lightning.api.dependencies import PublicAccess, get_state
from mcp_lightning.api.routes.common import cached_from_store, error_responses, json_response
from mcp_lightning.api.schemas.common import PUBKEY_PATTERN, ChanIdPath, PubkeyPath
from mcp_lightning.api.schemas.history import (
    ChannelDecisionsOut,
    PolicyChangesOut,
    RecommendationsOut,
    RunDecisionsOut,
    RunsOut,
)
from mcp_lightning.api.snapshot import parse_chan_id
from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.errors import InputError, NotFoundError

router = APIRouter(prefix="/api/v1", tags=["history"])
Limit = Annotated[int, Query(ge=1, le=500, description="How many items at most.")]
RunIdPath = Annotated[str, Path(pattern=r"^[0-9a-zA-Z]{4,64}$", description="A run id, or a unique prefix of it.",
                                examples=["3f2a9c1b"])]


@router.get("/lightning/recommendations/{pubkey}", response_model=RecommendationsOut,
            responses=error_responses(404), summary="What the latest recorded run of a node recommends")
async def recommendations(
    request: Request, _: PublicAccess, pubkey: PubkeyPath,
    min_confidence: Annotated[float, Query(ge=0.0, le=1.0, description="Keep decisions at least this sure.")] = 0.0,
) -> Response:
    """The actionable decisions (anything but NO_ACTION) of the node's newest run, most confident first."""
    state = get_state(request)

    def read(store: Store, api: ApiStore) -> bytes:
        runs = store.list_runs(limit=1, node_pubkey=pubkey)
        if not runs:
            raise NotFoundError(f"no run is recorded for node {pubkey} in {store.url}",
                                hint="record one with `mcpln run --node <that node's export>`")
        decisions = store.run_decisions(runs[0].run_id)
        chosen = sorted((d for d in decisions if d.decision is not DecisionType.NO_ACTION
                         and d.confidence >= min_confidence), key=lambda d: (-d.confidence, d.chan_id))
        return to_json(RecommendationsOut(node_pubkey=pubkey, min_confidence=min_confidence, run=run_out(runs[0]),
                                          n_decisions=len(decisions),
                                          recommendations=[decision_out(d) for d in chosen]))

    key = f"recommendations:{pubkey}:{min_confidence}"
    body, outcome = await cached_from_store(state, "node", key, lambda: state.db.read("reading recommendations", read))
    return json_response(body, cache=outcome)


@router.get("/runs", response_model=RunsOut, responses=error_responses(), summary="Recorded runs, newest first")
async def runs(
    request: Request, _: PublicAccess, limit: Limit = 20,
    node_pubkey: Annotated[str | None, Query(pattern=PUBKEY_PATTERN, description="Only this node's runs.")] = None,
) -> Response:
    """The most recent runs."""
    state = get_state(request)

    def read(store: Store, api: ApiStore) -> bytes:
        return to_json(RunsOut(runs=[run_out(r) for r in store.list_runs(limit=limit, node_pubkey=node_pubkey)]))

    body, outcome = await cached_from_store(state, "metrics", f"runs:{limit}:{node_pubkey}",
                                            lambda: state.db.read("listing runs", read))
    return json_response(body, cache=outcome)


@router.get("/runs/{run_id}/decisions", response_model=RunDecisionsOut, responses=error_responses(400, 404),
            summary="The decisions of one run")
async def run_decisions(request: Request, run_id: RunIdPath, _: PublicAccess) -> Response:
    """One run (by id, or a unique prefix of at least 4 characters) and its decisions in plan order."""
    state = get_state(request)

    def read(store: Store, api: ApiStore) -> bytes:
        try:
            run = store.find_run(run_id)
        except InputError as exc:
            if exc.message.startswith("no run id"):
                raise NotFoundError(exc.message, hint=exc.hint) from exc
            raise
        decisions = store.run_decisions(run.run_id)
        return to_json(RunDecisionsOut(run=run_out(run), decisions=[decision_out(d) for d in decisions]))

    body, outcome = await cached_from_store(state, "node", f"run:{run_id}",
                                            lambda: state.db.read(f"reading run {run_id}", read))
    return json_response(body, cache=outcome)


@router.get("/channels/{chan_id}/decisions", response_model=ChannelDecisionsOut, responses=error_responses(400),
            summary="The most recent decisions about one channel")
async def channel_decisions(request: Request, _: PublicAccess, chan_id: ChanIdPath, limit: Limit = 50) -> Response:
    """Decisions about the channel across runs, newest first (empty when it was never evaluated)."""
    state = get_state(request)
    number = parse_chan_id(chan_id)

    def read(store: Store, api: ApiStore) -> bytes:
        decisions = store.decisions_for_channel(number, limit=limit)
        return to_json(ChannelDecisionsOut(chan_id=str(number), decisions=[decision_out(d) for d in decisions]))

    body, outcome = await cached_from_store(state, "channel", f"channel-decisions:{number}:{limit}",
                                            lambda: state.db.read(f"reading decisions of {number}", read))
    return json_response(body, cache=outcome)


@router.get("/policy-changes", response_model=PolicyChangesOut, responses=error_responses(),
            summary="Policy changes applied since a time")
async def policy_changes(
    request: Request, _: PublicAccess,
    since: Annotated[datetime | None, Query(description="ISO-8601 time; default 7 days ago. A time without "
                                                        "zone is UTC.")] = None,
    node_pubkey: Annotated[str | None, Query(pattern=PUBKEY_PATTERN)] = None,
) -> Response:
    """Every change sent to a node at or after ``since``, oldest first, whatever its status."""
    state = get_state(request)
    moment = since or datetime.now(UTC) - timedelta(days=7)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def read(store: Store, api: ApiStore) -> bytes:
        changes = store.policy_changes_since(moment, node_pubkey=node_pubkey)
        return to_json(PolicyChangesOut(since=moment, changes=[change_out(c) for c in changes]))

    key = f"policy-changes:{moment.isoformat() if since else 'default'}:{node_pubkey}"
    body, outcome = await cached_from_store(state, "metrics", key,
                                            lambda: state.db.read("reading policy changes", read))
    return json_response(body, cache=outcome)
