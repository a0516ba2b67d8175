"""Keeps one API process in step with the store: cache invalidation and re-syncs done by other processes.

Every ``MCPLN_POLL_INTERVAL_S`` it reads three small things: the newest run, the policy changes of
the last day, and the newest finished recalculation. A new run or a new policy change (applied by
the executor, in any process) invalidates every cache; a recalculation finished by another process
makes this one reload the graph too. A database that is down is simply skipped (the breaker keeps
the calls cheap).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import anyio.to_thread
import structlog

from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.store_api import ApiStore
from mcp_lightning.api.state import AppState
from mcp_lightning.errors import McplnError

_log = structlog.get_logger("mcp_lightning.api")
Signature = tuple[str | None, int, str | None, str | None]


def store_signature(store: Store, api: ApiStore) -> Signature:
    """``(newest run id, policy changes in the last day, newest change time, newest finished recalculation id)``."""
    runs = store.list_runs(limit=1)
    changes = store.policy_changes_since(datetime.now(UTC) - timedelta(days=1))
    recalculation = api.latest_finished_job("recalculate")
    return (runs[0].run_id if runs else None, len(changes),
            changes[-1].applied_at.isoformat() if changes else None,
            recalculation.job_id if recalculation else None)


async def poll_once(state: AppState, previous: Signature | None) -> Signature | None:
    """Compare the store with ``previous`` and act on what changed.

    Returns:
        The new signature, or ``previous`` when the database could not be read.
    """
    try:
        current = await state.db.read("polling for changes", store_signature)
    except McplnError:
        return previous
    if previous is None:
        if current[3] is not None:
            state.seen_recalculations.add(current[3])  # the snapshot loaded at start-up is already new
        return current
    if current[:3] != previous[:3]:
        _log.info("cache.invalidated", reason="new run or policy change")
        await state.cache.invalidate_all()
    recalculation = current[3]
    if recalculation is not None and recalculation not in state.seen_recalculations:
        state.seen_recalculations.add(recalculation)
        _log.info("snapshot.resync", reason="recalculated by another process", job_id=recalculation)
        try:
            await anyio.to_thread.run_sync(state.snapshots.reload)
        except McplnError as exc:
            _log.error("snapshot.resync_failed", error=exc.message)
        await state.cache.invalidate_all()
    return current


async def poll_forever(state: AppState) -> None:
    """``poll_once`` every ``poll_interval_s`` until cancelled."""
    signature: Signature | None = None
    while True:
        signature = await poll_once(state, signature)
        await asyncio.sleep(state.settings.poll_interval_s)
