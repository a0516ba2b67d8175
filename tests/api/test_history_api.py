"""Runs, decisions, recommendations and policy changes through HTTP, from runs recorded by the real runner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mcp_lightning.adapters.store import open_store
from mcp_lightning.engine.plan import PolicyChange, RunSummary
from mcp_lightning.runner import RunRequest, execute_run
from tests.api.conftest import FIXTURES, SMALL_GRAPH, TestClient

LND_NODE = "02" + "2" * 64  # tests/fixtures/nodes/lnd-small
CLN_NODE = "03" + "1" * 64  # tests/fixtures/nodes/cln-small


@pytest.fixture
def recorded(postgres_url: str, tmp_path: Path) -> dict[str, RunSummary]:
    """Two shadow runs (lnd-small, cln-small) on the small graph and one applied policy change, in PostgreSQL."""
    store = open_store(postgres_url, default_dir=tmp_path)
    try:
        runs = {}
        for name in ("lnd-small", "cln-small"):
            request = RunRequest(graph_path=SMALL_GRAPH, node_path=FIXTURES / "nodes" / name, cache_dir=None)
            result = execute_run(request, store)
            runs[name] = result.summary
            if name == "lnd-small":
                decision = result.planned[0].decision
                change = PolicyChange(chan_id=decision.chan_id, applied_at=datetime.now(UTC) - timedelta(hours=1),
                                      old=decision.current, new=replace(decision.current, fee_rate_ppm=777),
                                      run_id=result.summary.run_id)
                store.record_policy_change(change, LND_NODE, "applied")
    finally:
        store.close()
    return runs


def test_runs_are_listed_newest_first_and_filtered_by_node(client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """Both runs are listed newest first; node_pubkey keeps only that node's run."""
    every = client.get("/api/v1/runs").json()["runs"]
    assert [r["run_id"] for r in every] == [recorded["cln-small"].run_id, recorded["lnd-small"].run_id]
    mine = client.get("/api/v1/runs", params={"node_pubkey": LND_NODE}).json()["runs"]
    assert [r["node_pubkey"] for r in mine] == [LND_NODE]


def test_run_decisions_accept_a_prefix_and_keep_the_serialize_contract(
        client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """The first 8 characters of a run id find it; each decision has planned_dict's keys plus run_id and created_at."""
    run = recorded["lnd-small"]
    body = client.get(f"/api/v1/runs/{run.run_id[:8]}/decisions").json()
    assert body["run"]["run_id"] == run.run_id and len(body["decisions"]) == run.n_channels
    first = body["decisions"][0]
    assert {"chan_id", "decision", "confidence", "scores", "safety", "facts", "run_id", "created_at"} <= set(first)
    assert isinstance(first["chan_id"], str) and first["created_at"].endswith("Z")


def test_unknown_run_is_a_404_and_a_bad_id_a_422(client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """A well-formed id of no run gets 404; an id with punctuation fails validation with 422."""
    assert client.get("/api/v1/runs/ffffffff/decisions").status_code == 404
    assert client.get("/api/v1/runs/ab-cd/decisions").status_code == 422


def test_channel_decisions_list_the_runs_that_evaluated_it(client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """A channel of lnd-small's run has that run's decision; a channel never evaluated has none."""
    run = client.get(f"/api/v1/runs/{recorded['lnd-small'].run_id}/decisions").json()
    chan_id = run["decisions"][0]["chan_id"]
    body = client.get(f"/api/v1/channels/{chan_id}/decisions").json()
    assert body["chan_id"] == chan_id
    assert recorded["lnd-small"].run_id in {d["run_id"] for d in body["decisions"]}
    assert client.get("/api/v1/channels/1/decisions").json()["decisions"] == []


def test_recommendations_come_from_the_latest_run_above_the_confidence(
        client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """lnd-small's run recommends its one INCREASE_FEES; a confidence floor above it leaves none."""
    body = client.get(f"/api/v1/lightning/recommendations/{LND_NODE}").json()
    assert body["run"]["run_id"] == recorded["lnd-small"].run_id
    assert [r["decision"] for r in body["recommendations"]] == ["INCREASE_FEES"]
    assert body["n_decisions"] == recorded["lnd-small"].n_channels
    floor = body["recommendations"][0]["confidence"] + 0.01
    filtered = client.get(f"/api/v1/lightning/recommendations/{LND_NODE}", params={"min_confidence": floor}).json()
    assert filtered["recommendations"] == []


def test_recommendations_of_a_node_never_run_are_a_clear_404(
        client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """A node without recorded runs gets 404 saying so and how to record one."""
    body = client.get("/api/v1/lightning/recommendations/02" + "a" * 64).json()
    assert body["error"] == "not_found"
    assert "no run is recorded" in body["detail"] and "mcpln run" in body["hint"]


def test_policy_changes_since_a_time(client: TestClient, recorded: dict[str, RunSummary]) -> None:
    """The change applied an hour ago is listed by default and with an earlier since, not with a later one."""
    changes = client.get("/api/v1/policy-changes").json()["changes"]
    assert [(c["new"]["fee_rate_ppm"], c["run_id"]) for c in changes] == [(777, recorded["lnd-small"].run_id)]
    later = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/policy-changes", params={"since": later}).json()["changes"] == []
