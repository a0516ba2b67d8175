"""Prometheus metrics and structured JSON logs: request ids, route templates, and no secret anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
import structlog

from mcp_lightning.logging_setup import configure_logging
from mcp_lightning.metrics import record_run_metrics
from tests.api.conftest import ALICE, TestClient

NODE = f"/api/v1/lightning/scores/node/{ALICE}"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line (structlog and standard library) as JSON text in a buffer; logging is reset afterwards."""
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(level="DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        structlog.reset_defaults()


def test_metrics_expose_requests_by_route_template_latency_cache_database_and_graph(client: TestClient) -> None:
    """After a few requests /metrics has every metric family the API promises, labelled by route template."""
    client.get(NODE)
    client.get(NODE)
    client.get("/api/v1/runs")
    text = client.get("/metrics").text
    assert 'mcpln_http_requests_total{method="GET",route="/api/v1/lightning/scores/node/{pubkey}",status="200"}' in text
    assert ALICE not in text  # raw paths never become labels
    for family in ("mcpln_http_request_duration_seconds_bucket", 'mcpln_cache_requests_total{kind="scores"',
                   'mcpln_cache_hit_ratio{kind="scores"}', "mcpln_db_query_duration_seconds_count",
                   "mcpln_graph_nodes 5.0", "mcpln_graph_channels 5.0", "# HELP mcpln_rollbacks_total",
                   "# HELP mcpln_decisions_total", "# HELP mcpln_runs_total", "mcpln_scoring_seconds"):
        assert family in text, family


def test_recorded_runs_count_runs_and_decisions_by_type(client: TestClient) -> None:
    """record_run_metrics adds one run and its decision counts by type."""
    record_run_metrics("shadow", {"INCREASE_FEES": 2, "NO_ACTION": 5})
    text = client.get("/metrics").text
    assert 'mcpln_runs_total{mode="shadow"}' in text
    assert 'mcpln_decisions_total{decision_type="INCREASE_FEES"}' in text


def test_log_lines_are_json_with_the_request_id(client: TestClient, captured_logs: io.StringIO) -> None:
    """Each request logs one http.request JSON line carrying the X-Request-ID it answered with."""
    response = client.get(NODE, headers={"X-Request-ID": "req-1234"})
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    access = [line for line in lines if line["event"] == "http.request"]
    assert access[-1]["request_id"] == response.headers["X-Request-ID"] == "req-1234"
    assert access[-1]["route"] == "/api/v1/lightning/scores/node/{pubkey}" and access[-1]["status"] == 200
    assert {"timestamp", "level"} <= set(access[-1])


def test_no_api_key_or_password_reaches_the_logs(make_client: Callable[..., TestClient],
                                                 new_key: Callable[..., str], captured_logs: io.StringIO) -> None:
    """A known key sent three ways, a bad key, and a database password never appear in the captured logs."""
    key = new_key("read", "admin")
    secret = key.split("_", 2)[2]
    client = make_client()
    client.get(NODE, headers={"X-API-Key": key})
    client.get(NODE, headers={"Authorization": f"Bearer {key}"})
    client.get(f"{NODE}?api_key={key}")
    client.post("/api/v1/lightning/scores/recalculate", headers={"X-API-Key": key})
    client.get(NODE, headers={"X-API-Key": key[:-6] + "ZZZZZZ"})
    structlog.get_logger("test").info("probe", api_key=key, note=f"token in text {key}",
                                      url="postgresql://mcpln:hunter2secret@127.0.0.1:1/db")
    make_client(database_url="postgresql+psycopg://mcpln:hunter2secret@127.0.0.1:1/test").get("/api/v1/runs")
    logs = captured_logs.getvalue()
    assert key.split("_")[1] in logs  # the public key id is there: requests stay attributable
    assert secret not in logs and secret[:16] not in logs
    assert "hunter2secret" not in logs
