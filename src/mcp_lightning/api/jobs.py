"""Background jobs: a batch of node scores, and a recalculation of the whole graph (re-sync).

Jobs are rows of ``score_jobs`` so that any server process can answer a poll. A recalculation
reloads the graph file, scores every node, swaps the snapshot, invalidates every cache and stores
the new scores; other processes notice the finished job (``poller``) and reload too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import structlog

from mcp_lightning.adapters.store.store_api import ScoreJob
from mcp_lightning.api.convert import node_out
from mcp_lightning.api.state import AppState
from mcp_lightning.errors import McplnError
from mcp_lightning.metrics import JOBS

_log = structlog.get_logger("mcp_lightning.api")


def new_job(kind: str, request: dict[str, Any], key_id: str | None) -> ScoreJob:
    """A queued job with a fresh id."""
    return ScoreJob(job_id=uuid.uuid4().hex, kind=kind, status="queued", request=request, result=None, error=None,
                    key_id=key_id, created_at=datetime.now(UTC))


def batch_result(state: AppState, pubkeys: Sequence[str]) -> dict[str, Any]:
    """The scores of ``pubkeys`` (JSON-ready) and the ones not in the snapshot."""
    snapshot = state.snapshots.current
    scores: dict[str, Any] = {}
    missing: list[str] = []
    for pubkey in dict.fromkeys(pubkeys):
        score = snapshot.table.node(pubkey)
        if score is None:
            missing.append(pubkey)
        else:
            scores[pubkey] = node_out(score, snapshot).model_dump(mode="json")
    return {"scores": scores, "not_found": missing, "graph_fingerprint": snapshot.graph.fingerprint}


async def _finish(state: AppState, job: ScoreJob, *, result: dict[str, Any] | None, error: str | None) -> None:
    status = "failed" if error is not None else "done"
    JOBS.labels(kind=job.kind, status=status).inc()
    finished_at = datetime.now(UTC)
    try:
        await state.db.write(f"finishing job {job.job_id}", lambda store, api: api.update_job(
            job.job_id, status=status, result=result, error=error, finished_at=finished_at))
    except McplnError as exc:
        _log.error("job.not_recorded", job_id=job.job_id, kind=job.kind, status=status, error=exc.message)
        return
    _log.info("job.finished", job_id=job.job_id, kind=job.kind, status=status)


async def run_batch(state: AppState, job: ScoreJob, pubkeys: Sequence[str]) -> None:
    """Score the batch and record the result (a failure is recorded on the job, never raised)."""
    try:
        result = batch_result(state, pubkeys)
    except McplnError as exc:
        await _finish(state, job, result=None, error=exc.message)
        return
    await _finish(state, job, result=result, error=None)


async def run_recalculation(state: AppState, job: ScoreJob) -> None:
    """Reload and rescore the graph, invalidate the caches, store the scores, record the job."""
    state.seen_recalculations.add(job.job_id)
    try:
        await state.db.write("starting a recalculation",
                             lambda store, api: api.update_job(job.job_id, status="running"))
        snapshot = await anyio.to_thread.run_sync(state.snapshots.reload)
    except McplnError as exc:
        await _finish(state, job, result=None, error=exc.message)
        return
    await state.cache.invalidate_all()
    stored = await persist_scores(state)
    result = {"graph_fingerprint": snapshot.graph.fingerprint, "snapshot_at": snapshot.graph.taken_at.isoformat(),
              "n_nodes": len(snapshot.table), "n_channels": len(snapshot.graph.channels),
              "scoring_seconds": round(snapshot.table.seconds, 4), "n_scores_stored": stored}
    await _finish(state, job, result=result, error=None)


async def persist_scores(state: AppState) -> int:
    """Store the current snapshot's node scores once (0 when disabled, already stored, or the store fails)."""
    if not state.settings.persist_scores or not state.snapshots.loaded:
        return 0
    table = state.snapshots.current.table
    try:
        written = await state.db.write("storing node scores",
                                       lambda store, api: api.save_node_scores(table, datetime.now(UTC)))
    except McplnError as exc:
        _log.warning("scores.not_stored", error=exc.message)
        return 0
    if written:
        _log.info("scores.stored", n_rows=written, graph_fingerprint=table.graph_fingerprint)
    return written
