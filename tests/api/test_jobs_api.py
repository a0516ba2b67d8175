"""Background jobs through HTTP: batch scores and whole-graph recalculation, polled from the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from mcp_lightning.api.settings import ServeSettings
from tests.api.conftest import ALICE, DAVE, TestClient, redis_keys

BATCH = "/api/v1/lightning/scores/batch"
RECALCULATE = "/api/v1/lightning/scores/recalculate"


def test_batch_needs_an_api_key(client: TestClient) -> None:
    """An anonymous batch is refused with 401 and the standard error body."""
    response = client.post(BATCH, json={"pubkeys": [ALICE]})
    assert response.status_code == 401 and response.json()["error"] == "authentication_error"


def test_batch_returns_a_job_whose_poll_gives_every_score(client: TestClient, new_key: Callable[..., str]) -> None:
    """A batch of a known and an unknown node is accepted (202), then polled done with one score and one miss."""
    key = new_key("read")
    missing = "03" + "9" * 64
    accepted = client.post(BATCH, json={"pubkeys": [ALICE, DAVE, missing, ALICE]}, headers={"X-API-Key": key})
    assert accepted.status_code == 202
    job = accepted.json()
    assert job["status"] == "queued" and accepted.headers["Location"] == job["poll_url"]
    done = client.get(job["poll_url"]).json()
    assert done["status"] == "done" and done["finished_at"] is not None
    assert set(done["result"]["scores"]) == {ALICE, DAVE}
    assert done["result"]["not_found"] == [missing]
    assert done["result"]["scores"][DAVE] == client.get(f"/api/v1/lightning/scores/node/{DAVE}").json()


def test_batch_refuses_more_than_100_nodes(client: TestClient, new_key: Callable[..., str]) -> None:
    """101 node ids fail validation with 422 before any job is created."""
    response = client.post(BATCH, json={"pubkeys": [ALICE] * 101}, headers={"X-API-Key": new_key("read")})
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


def test_recalculate_needs_the_admin_scope(client: TestClient, new_key: Callable[..., str]) -> None:
    """A read key gets 403 on recalculate; the message names the missing scope."""
    response = client.post(RECALCULATE, headers={"X-API-Key": new_key("read")})
    assert response.status_code == 403 and "admin" in response.json()["detail"]


def test_recalculate_resyncs_invalidates_caches_and_stores_scores(
        client: TestClient, new_key: Callable[..., str], api_settings: ServeSettings, postgres_url: str) -> None:
    """An admin recalculation finishes with the snapshot's figures, bumps the cache generation, and stores scores."""
    client.get(f"/api/v1/lightning/scores/node/{ALICE}")
    accepted = client.post(RECALCULATE, headers={"Authorization": f"Bearer {new_key('admin')}"})
    assert accepted.status_code == 202
    job = client.get(accepted.json()["poll_url"]).json()
    assert job["status"] == "done"
    assert (job["result"]["n_nodes"], job["result"]["n_channels"]) == (5, 5)
    prefix = api_settings.redis_key_prefix
    assert f"{prefix}generation" in redis_keys(str(api_settings.redis_url), prefix)
    assert client.get(f"/api/v1/lightning/scores/node/{ALICE}").headers["X-Cache"] == "miss"
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM node_scores")).scalar_one() == 5
    finally:
        engine.dispose()


def test_unknown_job_is_a_404(client: TestClient) -> None:
    """Polling a job id that was never issued gets 404."""
    assert client.get("/api/v1/lightning/scores/jobs/" + "0" * 32).status_code == 404


def test_a_recalculation_that_cannot_read_the_graph_fails_the_job_not_the_server(
        make_client: Callable[..., TestClient], new_key: Callable[..., str], tmp_path: Path) -> None:
    """The graph file vanishing before a re-sync marks the job failed with the reason; scores keep being served."""
    graph = tmp_path / "graph.json"
    graph.write_bytes((Path(__file__).parents[1] / "fixtures" / "graph" / "describegraph_small.json").read_bytes())
    client = make_client(graph_path=graph)
    graph.unlink()
    job = client.get(client.post(RECALCULATE, headers={"X-API-Key": new_key("admin")}).json()["poll_url"]).json()
    assert job["status"] == "failed" and "graph.json" in job["error"]
    assert client.get(f"/api/v1/lightning/scores/node/{ALICE}").status_code == 200
