"""Simulator benchmark: payments per second on the full 2025-10-26 graph, on one core, and peak memory.

Usage: .venv/bin/python bench/bench_sim.py [--days D] [--payments-per-day N] [--seed S]

Three figures, printed as a table:

* preparation: compiling the graph with LOUDTOLL in it, drawing the payment stream and computing the
  candidate routes of every (sender, receiver) pair (scipy Dijkstra, 5 trees per receiver);
* routing, all payments: every payment of the stream routed (no focus filter), LND cost ranking,
  HTLC attempts, retries, balance updates — the simulator's raw throughput;
* full runs: ``static`` and ``ours_balanced`` over the focused stream, with a decision point every
  6 simulated hours (snapshot, engine contexts, strategy, safety chain).

Peak memory is the process's maximum resident set size (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mcp_lightning.adapters.files.node_export import load_node_export  # noqa: E402
from mcp_lightning.graph.load import load_graph  # noqa: E402
from mcp_lightning.sim.payments import PaymentEngine  # noqa: E402
from mcp_lightning.sim.prepare import default_view_builder, prepare_setting, prepare_world  # noqa: E402
from mcp_lightning.sim.probability import MissionControl  # noqa: E402
from mcp_lightning.sim.scenario import load_scenario  # noqa: E402
from mcp_lightning.sim.simulator import simulate  # noqa: E402
from mcp_lightning.sim.strategies import REGISTRY  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--payments-per-day", type=float, default=30_000.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = replace(load_scenario(ROOT / "scenarios" / "as_is.yaml"), days=args.days,
                   payments_per_day=args.payments_per_day)
    started = time.perf_counter()
    graph = load_graph(ROOT / "data" / "graph" / "describegraph_2025-10-26.json.gz")
    node = load_node_export(ROOT / "data" / "nodes" / "cln-loudtoll")
    load_s = time.perf_counter() - started
    setting = prepare_setting(base, graph, node, default_view_builder(None))
    rows = [("load graph + node export", f"{load_s:.1f} s", "")]

    clock = time.perf_counter()
    world_all = prepare_world(setting, replace(base, focus=False), args.seed)
    prep_s = time.perf_counter() - clock
    rows.append(("prepare (network, stream, candidates)", f"{prep_s:.1f} s",
                 f"{len(world_all.stream):,} payments, {len(world_all.candidates):,} pairs"))
    engine = PaymentEngine(world_all.net.clone(), world_all.candidates, MissionControl(), world_all.rules)
    stream = world_all.stream
    clock = time.perf_counter()
    for at, s, r, a in zip(stream.at_s.tolist(), stream.sender.tolist(), stream.receiver.tolist(),
                           stream.amount_msat.tolist(), strict=True):
        engine.pay(s, r, a, at)
    route_s = time.perf_counter() - clock
    rows.append(("routing, all payments", f"{len(stream) / route_s:,.0f} payments/s",
                 f"{len(stream):,} in {route_s:.1f} s, {engine.tally.n_succeeded / len(stream):.1%} settled"))

    world = prepare_world(setting, base, args.seed)
    for name in ("static", "ours_balanced"):
        clock = time.perf_counter()
        record = simulate(world, REGISTRY[name](), name)
        run_s = time.perf_counter() - clock
        rows.append((f"full run {name} ({args.days:g} days, focus)", f"{record.n_payments / run_s:,.0f} payments/s",
                     f"{record.n_payments:,} payments, {int(args.days * 4)} decision points, {run_s:.1f} s"))
    rows.append(("peak memory", f"{peak_rss_mb():,.0f} MB", ""))
    width = max(len(r[0]) for r in rows)
    print(f"Simulator benchmark: 2025-10-26 graph, LOUDTOLL, {args.payments_per_day:,.0f} payments/day, "
          f"{args.days:g} days, seed {args.seed}, one core")
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>20}  {note}")


if __name__ == "__main__":
    main()
