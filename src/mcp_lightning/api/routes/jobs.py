"""Background endpoints: batch scores, whole-graph recalculation (admin), and polling a job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response

from mcp_lightning.api.convert import job_out, to_json
from mcp_lightning.api.dependencies import AdminHeavyAccess, PublicAccess, ReadHeavyAccess, get_state
from mcp_lightning.api.jobs import new_job, run_batch, run_recalculation
from mcp_lightning.api.routes.common import error_responses, json_response
from mcp_lightning.api.schemas.common import JobOut
from mcp_lightning.api.schemas.scores import BatchRequest
from mcp_lightning.errors import NotFoundError

router = APIRouter(prefix="/api/v1/lightning/scores", tags=["jobs"])
JobIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A job id from POST batch or recalculate.")]


@router.post("/batch", status_code=202, response_model=JobOut, responses=error_responses(400, 403, 413),
             summary="Score up to 100 nodes in the background (needs a key with the read scope; heavy)")
async def batch(request: Request, body: BatchRequest, background: BackgroundTasks,
                principal: ReadHeavyAccess) -> Response:
    """Queue the batch and return its job; poll ``poll_url`` until ``status`` is ``done``."""
    state = get_state(request)
    state.snapshots.current  # noqa: B018 - 503 now rather than a failed job when no snapshot is loaded
    job = new_job("batch", {"pubkeys": list(body.pubkeys)}, principal.key_id)
    await state.db.write("creating a batch job", lambda store, api: api.create_job(job))
    background.add_task(run_batch, state, job, list(body.pubkeys))
    out = job_out(job)
    return json_response(to_json(out), status_code=202, headers={"Location": out.poll_url})


@router.post("/recalculate", status_code=202, response_model=JobOut, responses=error_responses(403),
             summary="Re-sync the graph file and rescore every node in the background (admin scope; heavy)")
async def recalculate(request: Request, background: BackgroundTasks,
                      principal: AdminHeavyAccess) -> Response:
    """Queue a recalculation: reload the graph, score every node, invalidate every cache, store the scores."""
    state = get_state(request)
    job = new_job("recalculate", {"graph_path": str(state.snapshots.graph_path)}, principal.key_id)
    await state.db.write("creating a recalculation job", lambda store, api: api.create_job(job))
    background.add_task(run_recalculation, state, job)
    out = job_out(job)
    return json_response(to_json(out), status_code=202, headers={"Location": out.poll_url})


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(404), summary="Poll a job")
async def get_job(request: Request, job_id: JobIdPath, _: PublicAccess) -> Response:
    """The job's status, and its result once done."""
    state = get_state(request)
    job = await state.db.read(f"reading job {job_id}", lambda store, api: api.get_job(job_id))
    if job is None:
        raise NotFoundError(f"no job {job_id} in {state.db.url}", hint="jobs are created by POST batch or recalculate")
    return json_response(to_json(job_out(job)))
