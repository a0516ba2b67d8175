"""Every Prometheus metric of MCP Lightning, defined once (names ``mcpln_<thing>_<unit|total>``).

The shell updates them (the API, the runner, the executor); the pure core never does. With several
server processes (``mcpln serve --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` must be set before this
module is imported; ``/metrics`` then aggregates every process (``render_metrics``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

HTTP_REQUESTS = Counter("mcpln_http_requests_total", "HTTP requests by method, route template and status.",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("mcpln_http_request_duration_seconds", "HTTP request latency by route template, s.",
                         ["method", "route"], buckets=LATENCY_BUCKETS_S)
DECISIONS = Counter("mcpln_decisions_total", "Channel decisions recorded, by decision type.", ["decision_type"])
RUNS = Counter("mcpln_runs_total", "Runs recorded, by mode.", ["mode"])
ROLLBACKS = Counter("mcpln_rollbacks_total", "Policy rollbacks performed by the executor, by reason.", ["reason"])
CACHE_REQUESTS = Counter("mcpln_cache_requests_total", "Cache look-ups by kind, layer (lru, redis) and result.",
                         ["kind", "layer", "result"])
CACHE_HIT_RATIO = Gauge("mcpln_cache_hit_ratio", "Share of look-ups answered by a cache layer, by kind, [0, 1].",
                        ["kind"], multiprocess_mode="livemostrecent")
DB_QUERY = Histogram("mcpln_db_query_duration_seconds", "Database operation time, by operation, s.",
                     ["operation"], buckets=LATENCY_BUCKETS_S)
GRAPH_NODES = Gauge("mcpln_graph_nodes", "Nodes of the graph snapshot being served.", multiprocess_mode="livemax")
GRAPH_CHANNELS = Gauge("mcpln_graph_channels", "Channels of the graph snapshot being served.",
                       multiprocess_mode="livemax")
SCORING_SECONDS = Gauge("mcpln_scoring_seconds", "Wall time of the last whole-graph scoring, s.",
                        multiprocess_mode="livemostrecent")
DEPENDENCY_UP = Gauge("mcpln_dependency_up", "1 when a dependency (database, redis) answers, else 0.",
                      ["dependency"], multiprocess_mode="livemin")
CIRCUIT_OPEN = Gauge("mcpln_circuit_open", "1 while the circuit breaker of a dependency is open.",
                     ["dependency"], multiprocess_mode="livemax")
RATE_LIMITED = Counter("mcpln_rate_limited_total", "Requests refused with 429, by bucket.", ["bucket"])
JOBS = Counter("mcpln_jobs_total", "Background jobs finished, by kind and status.", ["kind", "status"])

_cache_tally: dict[str, tuple[int, int]] = {}
_children: dict[tuple[str, ...], Any] = {}  # labelled children, looked up once (labels() costs on the hot path)


def observe_http_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one HTTP request and observe its latency, by route template."""
    key = ("http", method, route, str(status))
    pair = _children.get(key)
    if pair is None:
        pair = (HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
                HTTP_LATENCY.labels(method=method, route=route))
        _children[key] = pair
    pair[0].inc()
    pair[1].observe(seconds)


def record_cache_lookup(kind: str, layer: str, hit: bool) -> None:
    """Count one look-up in one cache layer (``lru`` or ``redis``)."""
    key = ("cache", kind, layer, "hit" if hit else "miss")
    child = _children.get(key)
    if child is None:
        child = _children[key] = CACHE_REQUESTS.labels(kind=kind, layer=layer, result=key[3])
    child.inc()


def record_cache_outcome(kind: str, hit: bool) -> None:
    """Count the outcome of a whole look-up (a hit in any layer is a hit) and refresh the kind's hit ratio."""
    hits, total = _cache_tally.get(kind, (0, 0))
    hits, total = hits + int(hit), total + 1
    _cache_tally[kind] = (hits, total)
    CACHE_HIT_RATIO.labels(kind=kind).set(hits / total)


def record_run_metrics(mode: str, decision_counts: Mapping[str, int]) -> None:
    """Count a recorded run and its decisions by type (called by whoever records runs)."""
    RUNS.labels(mode=mode).inc()
    for decision_type, count in decision_counts.items():
        DECISIONS.labels(decision_type=decision_type).inc(count)


@contextmanager
def timed_db(operation: str) -> Iterator[None]:
    """Observe the time of a database operation (also when it fails)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        DB_QUERY.labels(operation=operation).observe(time.perf_counter() - started)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text of every metric (of every process when ``PROMETHEUS_MULTIPROC_DIR`` is set).

    Returns:
        ``(body, content_type)``.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def forget_this_process() -> None:
    """Drop this process's live gauges from the multi-process files (at worker shutdown; no-op otherwise)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
