"""Load test of ``mcpln serve`` on loopback: latency percentiles, throughput and error rate.

Starts the server as a subprocess (uvicorn, ``--workers 2`` by default) on the bundled 2025-10-26
mainnet graph (12,842 nodes), once with SQLite alone and once with PostgreSQL + Redis, and drives
it with ``wrk`` (``apt-get install wrk``) at 50, 200 and 1,000 concurrent connections:

* cached: ``GET /api/v1/lightning/scores/node/{pubkey}`` for one node (an LRU hit after the first);
* uncached: the same with ``force_recalculate=true``, rotating over 1,000 nodes (the caches are
  bypassed and the node is rescored from the snapshot, then written to the caches).

Each run is bounded (``--duration`` seconds, 5 s request timeout); only 127.0.0.1 is contacted.
Latency percentiles are wrk's, over completed requests (timed-out ones count as errors, not in
the percentiles; wrk is closed-loop, so queueing under overload shows as lower throughput).
Rate limits are lifted for the run (they would turn the load into 429s). Also measures the
whole-graph scoring (``score_nodes``) that every snapshot costs. Prints a table.

    python bench/bench_api.py                 # full run, about 4 minutes
    python bench/bench_api.py --duration 3 --connections 50,200   # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRAPH = REPO / "data" / "graph" / "describegraph_2025-10-26.json.gz"
POSTGRES_ADMIN_URL = os.environ.get("MCPLN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MCPLN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
UNLIMITED = "1000000000"
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> dict[str, object]:
    """GET a loopback URL and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as response:  # a loopback URL built here
        return dict(json.loads(response.read()))


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL (dropped afterwards); yields its URL."""
    from sqlalchemy import create_engine, make_url, text

    schema = f"mcpln_bench_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_ADMIN_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def drop_redis_prefix(prefix: str) -> None:
    """Delete the benchmark's Redis keys."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def server(env: dict[str, str], workers: int, log_path: Path) -> Iterator[str]:
    """``mcpln serve`` in its own process group on a free loopback port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "mcp_lightning.cli_serve", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--graph", str(GRAPH)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}; see {log_path}")
            try:
                if get_json(f"{base}/health")["status"] in ("healthy", "degraded"):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"the server did not become healthy within 180 s; see {log_path}")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group we started: uvicorn's supervisor and its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wrk(url_base: str, script: Path, connections: int, duration_s: int) -> dict[str, float]:
    """One bounded wrk run; returns throughput, latency percentiles (ms) and the error rate."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration_s}s", "--timeout", "5s", "-s", str(script), url_base]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    failed = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    attempted = max(1, r["requests"] + r["connect"] + r["timeout"])
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1000,
            "p95_ms": r["p95_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "error_pct": 100 * failed / attempted,
            "requests": r["requests"], "timeouts": r["timeout"], "non_2xx": r["status"],
            "socket_errors": r["connect"] + r["read"] + r["write"]}


def lua_scripts(folder: Path, pubkeys: list[str]) -> dict[str, Path]:
    """The wrk scripts of the two endpoints (cached: one node; uncached: force_recalculate over many)."""
    cached = folder / "cached.lua"
    cached.write_text(f'wrk.path = "/api/v1/lightning/scores/node/{pubkeys[0]}"\n' + LUA_DONE)
    uncached = folder / "uncached.lua"
    table = ",".join(f'"{p}"' for p in pubkeys)
    uncached.write_text(
        f"local keys = {{{table}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #keys + 1\n"
        '  return wrk.format("GET", "/api/v1/lightning/scores/node/" .. keys[i] .. "?force_recalculate=true")\nend\n'
        + LUA_DONE)
    return {"cached": cached, "uncached": uncached}


def top_pubkeys(base: str, n: int) -> list[str]:
    """The ``n`` best-ranked nodes (two pages of rankings)."""
    pubkeys: list[str] = []
    for offset in range(0, n, 500):
        page = get_json(f"{base}/api/v1/lightning/scores/rankings?limit=500&offset={offset}")
        pubkeys += [str(item["pubkey"]) for item in page["items"]]  # type: ignore[attr-defined]
    return pubkeys[:n]


def bench_backend(name: str, env: dict[str, str], args: argparse.Namespace, folder: Path) -> list[dict[str, object]]:
    """Every (endpoint, concurrency) run against one backend configuration."""
    rows: list[dict[str, object]] = []
    with server(env, args.workers, folder / f"server-{name}.log") as base:
        scripts = lua_scripts(folder, top_pubkeys(base, 1000))
        subprocess.run(["wrk", "-t1", "-c20", "-d2s", "-s", str(scripts["cached"]), base], capture_output=True,
                       check=True, timeout=60)  # warm-up: every worker's LRU holds the cached node
        for endpoint in ("cached", "uncached"):
            for connections in args.connections:
                result = wrk(base, scripts[endpoint], connections, args.duration)
                rows.append({"backend": name, "endpoint": endpoint, "connections": connections, **result})
                print(f"  {name:<17} {endpoint:<9} c={connections:<5} {result['rps']:8.0f} req/s  "
                      f"p95 {result['p95_ms']:8.1f} ms  errors {result['error_pct']:.3f}%", flush=True)
    return rows


def scoring_seconds() -> tuple[float, int]:
    """Median wall time of ``score_nodes`` on the full graph (3 runs) and its node count."""
    from mcp_lightning.adapters.files.graph_cache import cached_graph, cached_topology
    from mcp_lightning.config import Settings
    from mcp_lightning.scoring.node_scores import score_nodes

    cache_dir = Settings().cache_dir
    graph = cached_graph(GRAPH, cache_dir)
    topology = cached_topology(graph, cache_dir, method="sampled")
    times = []
    for _ in range(3):
        table = score_nodes(graph, topology)
        times.append(table.seconds)
    return statistics.median(times), len(table)


def print_table(rows: list[dict[str, object]]) -> None:
    """The results as a Markdown table."""
    print("\n| backend | endpoint | connections | req/s | p50 ms | p95 ms | p99 ms | errors % | requests "
          "| timeouts | non-2xx | socket errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backend']} | {r['endpoint']} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['error_pct']:.3f} | {r['requests']:,} | {r['timeouts']} | "
              f"{r['non_2xx']} | {r['socket_errors']} |")


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")], default=[50, 200, 1000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgres+redis")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    seconds, n_nodes = scoring_seconds()
    print(f"whole-graph scoring: {n_nodes:,} nodes in {seconds:.3f} s (median of 3)")
    folder = Path(tempfile.mkdtemp(prefix="mcpln-bench-"))
    common = {"MCPLN_HOME": str(folder), "MCPLN_RATE_LIMIT_ANONYMOUS_PER_MIN": UNLIMITED,
              "MCPLN_RATE_LIMIT_HEAVY_PER_MIN": UNLIMITED, "MCPLN_LOG_LEVEL": "INFO"}
    rows: list[dict[str, object]] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        env = {**common, "MCPLN_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
        rows += bench_backend("sqlite", env, args, folder)
    if "postgres+redis" in backends:
        prefix = f"mcpln_bench_{secrets.token_hex(4)}:"
        with postgres_schema() as url:
            try:
                env = {**common, "MCPLN_DATABASE_URL": url, "MCPLN_REDIS_URL": REDIS_URL,
                       "MCPLN_REDIS_KEY_PREFIX": prefix}
                rows += bench_backend("postgres+redis", env, args, folder)
            finally:
                drop_redis_prefix(prefix)
    print_table(rows)
    print(f"\nserver logs: {folder}; machine: {os.cpu_count()} cores, wrk on the same cores as the server")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
