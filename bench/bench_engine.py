"""Engine benchmarks: evaluation throughput on every channel of the mainnet graph, and `mcpln run`
end to end, cold and warm, with peak memory.

Usage: .venv/bin/python bench/bench_engine.py [--graph PATH] [--repeat N]

Throughput: all 49,808 channels of the 2025-10-26 graph are treated as one node's channels (the
node1 side is "us": its policy is our policy, node2 is the peer; balances and 30 days of forwards
are drawn from a seeded generator). Context building, evaluate_channel alone, and the whole plan
(evaluation + peer coherence + safety chain + input fingerprint) are timed separately.
End to end: `mcpln run --json` in a subprocess on the bundled data, first with an empty cache
directory and a new SQLite file (cold), then again (warm); peak RSS of the child process.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mcp_lightning.config import load_engine_config  # noqa: E402
from mcp_lightning.domain.channel import Channel, Opener  # noqa: E402
from mcp_lightning.domain.forward import Forward  # noqa: E402
from mcp_lightning.domain.node import NodeSnapshot  # noqa: E402
from mcp_lightning.engine.context import build_contexts  # noqa: E402
from mcp_lightning.engine.decide import evaluate_channel  # noqa: E402
from mcp_lightning.engine.planner import plan  # noqa: E402
from mcp_lightning.graph.ingest_limits import IngestLimits  # noqa: E402
from mcp_lightning.graph.load import load_graph  # noqa: E402
from mcp_lightning.runner import graph_view  # noqa: E402
from mcp_lightning.units import Msat, Sat  # noqa: E402

OUR_PUBKEY = "02" + "00" * 32


def synthetic_node(graph, now: datetime, seed: int = 7) -> NodeSnapshot:  # type: ignore[no-untyped-def]
    """Every graph channel as one of ours (node1 side), with seeded balances and forwards."""
    rng = random.Random(seed)
    channels, forwards = [], []
    for gc in graph.channels:
        policy = gc.node1_policy or gc.node2_policy
        local = int(gc.capacity_sat * rng.random())
        channels.append(
            Channel(
                gc.chan_id,
                gc.scid,
                None,
                gc.node2_pubkey,
                None,
                gc.capacity_sat,
                Sat(local),
                Sat(gc.capacity_sat - local),
                rng.random() > 0.05,
                False,
                Opener.LOCAL,
                policy,
                gc.node2_policy,
            )
        )
    ids = [c.chan_id for c in channels]
    for _ in range(len(channels) * 2):
        amount = rng.randint(10_000, 5_000_000_000)
        fee = amount // 2000
        forwards.append(
            Forward(
                rng.choice(ids),
                rng.choice(ids),
                Msat(amount + fee),
                Msat(amount),
                Msat(fee),
                now - timedelta(seconds=rng.randint(0, 40 * 86_400)),
            )
        )
    forwards.sort(key=lambda f: f.resolved_at)
    return NodeSnapshot(OUR_PUBKEY, "bench", "synthetic", 920_815, now, tuple(channels), tuple(forwards), "bench")


def throughput(graph_path: Path, repeat: int) -> None:
    """Print context-building, evaluation and planning throughput."""
    t0 = time.perf_counter()
    graph = load_graph(graph_path, limits=IngestLimits(keep_zombies=True))  # every channel, zombies included
    print(f"graph load: {time.perf_counter() - t0:.2f} s ({len(graph.channels):,} channels, zombies kept)")
    now = graph.taken_at
    node = synthetic_node(graph, now)
    cache = Path(tempfile.mkdtemp(prefix="mcpln-bench-cache-"))
    t0 = time.perf_counter()
    view = graph_view(graph, node, method="sampled", cache_dir=cache)
    print(
        f"graph view (statistics, {len(view.peers):,} peers, sampled topology, cold cache): "
        f"{time.perf_counter() - t0:.2f} s"
    )
    config = load_engine_config()
    t0 = time.perf_counter()
    contexts = build_contexts(node, view, now, config.windows_days)
    build_s = time.perf_counter() - t0
    print(
        f"contexts: {len(contexts):,} channels, {len(node.forwards):,} forwards in {build_s:.2f} s "
        f"({len(contexts) / build_s:,.0f} channels/s)"
    )
    best_eval = best_plan = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for ctx in contexts:
            evaluate_channel(ctx, config, now)
        best_eval = min(best_eval, time.perf_counter() - t0)
        t0 = time.perf_counter()
        planned = plan(contexts, config, now, {}, view.aliases)
        best_plan = min(best_plan, time.perf_counter() - t0)
    n = len(contexts)
    print(f"evaluate_channel: {n:,} channels in {best_eval:.2f} s = {n / best_eval:,.0f} channels/s (target >= 20,000)")
    print(
        f"plan (evaluate + peer coherence + safety + fingerprint): {best_plan:.2f} s = {n / best_plan:,.0f} channels/s"
    )
    counts: dict[str, int] = {}
    for p in planned:
        counts[p.decision.decision.value] = counts.get(p.decision.decision.value, 0) + 1
    print("decisions:", ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


def end_to_end() -> None:
    """Print `mcpln run` wall time and peak RSS, cold then warm."""
    mcpln = ROOT / ".venv" / "bin" / "mcpln"
    with tempfile.TemporaryDirectory(prefix="mcpln-bench-") as tmp:
        env = {**os.environ, "MCPLN_HOME": f"{tmp}/home", "MCPLN_CACHE_DIR": f"{tmp}/cache"}
        env.pop("MCPLN_DATABASE_URL", None)
        for label in ("cold", "warm", "warm"):
            # a wrapper process per run, so that its RUSAGE_CHILDREN peak is this run's alone
            wrapper = (
                "import resource, subprocess, sys, time; t = time.perf_counter(); "
                "r = subprocess.run(sys.argv[1:], capture_output=True); "
                "print(r.returncode, time.perf_counter() - t, "
                "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                "r.stderr.decode()[-300:].replace(chr(10), ' '))"
            )
            done = subprocess.run(
                [sys.executable, "-c", wrapper, str(mcpln), "run", "--json"],
                env=env,
                capture_output=True,
                cwd=ROOT,
                text=True,
                check=True,
            )
            code, wall, peak_kib, *stderr = done.stdout.split(" ", 3)
            if code != "0":
                print(f"mcpln run failed ({code}): {stderr}")
                return
            print(
                f"mcpln run end to end, {label}: {float(wall):.2f} s, peak RSS {int(peak_kib) / 1024:,.0f} MiB "
                f"(targets: cold < 15 s, warm < 3 s)"
            )


def main() -> None:
    """Parse arguments and run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=ROOT / "data" / "graph" / "describegraph_2025-10-26.json.gz")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# bench_engine — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    end_to_end()
    throughput(args.graph, args.repeat)


if __name__ == "__main__":
    main()
