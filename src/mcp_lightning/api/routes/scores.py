"""Score endpoints: a node, a channel, and the whole network's rankings (read from the in-memory snapshot)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from mcp_lightning.api.convert import channel_out, node_out, ranking_item, to_json
from mcp_lightning.api.dependencies import PublicAccess, count_heavy, get_state
from mcp_lightning.api.routes.common import cached, error_responses, json_response
from mcp_lightning.api.schemas.common import ChanIdPath, PubkeyPath
from mcp_lightning.api.schemas.scores import ChannelScoreOut, NodeScoreOut, RankingsOut
from mcp_lightning.api.snapshot import Snapshot, parse_chan_id
from mcp_lightning.errors import NotFoundError
from mcp_lightning.scoring.channel_scores import score_channel
from mcp_lightning.scoring.node_scores import rescore_node
from mcp_lightning.scoring.rankings import SORT_KEYS, RankingQuery, rank_nodes

router = APIRouter(prefix="/api/v1/lightning/scores", tags=["scores"])
SortKey = Literal["composite", "centrality", "reliability", "capacity", "fee_competitiveness", "capacity_sat",
                  "n_channels"]
assert set(SortKey.__args__) == set(SORT_KEYS)  # type: ignore[attr-defined]  # the Literal lists every sort key


def _missing_node(pubkey: str, snapshot: Snapshot) -> NotFoundError:
    return NotFoundError(f"node {pubkey} is not in the graph snapshot of {snapshot.graph.taken_at:%Y-%m-%dT%H:%M:%SZ} "
                         f"({len(snapshot.table):,} nodes)",
                         hint="check the node id, or re-sync the graph with POST /api/v1/lightning/scores/recalculate")


@router.get("/node/{pubkey}", response_model=NodeScoreOut, responses=error_responses(404),
            summary="A node's scores (every node of the graph has them)")
async def node_score(
    request: Request,
    principal: PublicAccess,
    pubkey: PubkeyPath,
    force_recalculate: Annotated[bool, Query(description="Recompute from the snapshot, bypassing the caches "
                                                         "(heavy: 10 per minute).")] = False,
) -> Response:
    """Centrality, reliability, capacity, fee competitiveness and composite, each in [0, 1] with a reason."""
    state = get_state(request)
    snapshot = state.snapshots.current
    key = f"node:{snapshot.version}:{pubkey}"
    if force_recalculate:
        await count_heavy(request, principal)
        fresh = rescore_node(snapshot.table, pubkey)
        if fresh is None:
            raise _missing_node(pubkey, snapshot)
        body = to_json(node_out(fresh, snapshot))
        await state.cache.set("scores", key, body)
        return json_response(body, cache="bypass")

    def build() -> bytes:
        score = snapshot.table.node(pubkey)
        if score is None:
            raise _missing_node(pubkey, snapshot)
        return to_json(node_out(score, snapshot))

    body, outcome = await cached(state, "scores", key, build)
    return json_response(body, cache=outcome)


@router.get("/channel/{chan_id}", response_model=ChannelScoreOut, responses=error_responses(400, 404),
            summary="A public channel's scores")
async def channel_score(request: Request, chan_id: ChanIdPath, _: PublicAccess) -> Response:
    """Capacity, availability, fee competitiveness, endpoints and composite of one channel of the snapshot."""
    state = get_state(request)
    snapshot = state.snapshots.current
    number = parse_chan_id(chan_id)

    def build() -> bytes:
        channel = snapshot.channels.get(number)
        if channel is None:
            raise NotFoundError(f"channel {chan_id} (chan_id {number}) is not in the graph snapshot "
                                f"({len(snapshot.channels):,} channels)",
                                hint="private, closed or zombie channels are not in the public graph")
        return to_json(channel_out(score_channel(snapshot.table, channel), snapshot))

    body, outcome = await cached(state, "channel", f"channel:{snapshot.version}:{number}", build)
    return json_response(body, cache=outcome)


@router.get("/rankings", response_model=RankingsOut, responses=error_responses(),
            summary="The whole network ranked by any score")
async def rankings(
    request: Request,
    _: PublicAccess,
    sort_by: Annotated[SortKey, Query(description="A score, or capacity_sat / n_channels.")] = "composite",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    min_capacity_sat: Annotated[int, Query(ge=0, le=2_100_000_000_000_000, description="sat")] = 0,
    min_channels: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    min_composite: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Filter every node of the snapshot, sort by a score (ties by node id) and return one page."""
    state = get_state(request)
    snapshot = state.snapshots.current
    query = RankingQuery(sort_by=sort_by, order=order, min_capacity_sat=min_capacity_sat, min_channels=min_channels,
                         min_composite=min_composite, offset=offset, limit=limit)

    def build() -> bytes:
        page = rank_nodes(snapshot.table, query)
        return to_json(RankingsOut(total=page.total, offset=offset, limit=limit, sort_by=sort_by, order=order,
                                   graph_fingerprint=snapshot.graph.fingerprint,
                                   snapshot_at=snapshot.graph.taken_at,
                                   items=[ranking_item(row) for row in page.rows]))

    key = (f"rankings:{snapshot.version}:{sort_by}:{order}:{min_capacity_sat}:{min_channels}:{min_composite}:"
           f"{offset}:{limit}")
    body, outcome = await cached(state, "heavy", key, build)
    return json_response(body, cache=outcome)
