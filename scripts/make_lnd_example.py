"""Build data/nodes/lnd-example/: a demo LND REST export around a REAL node's REAL channels.

No public dump of a real LND node's channels and forwarding history exists, so this script takes one
real node from the 2025-10-26 graph snapshot (default: barcelona-big, 31 public channels) and writes
what its LND REST API would return:

* REAL, from the graph: our pubkey, every channel's chan_id, peer, peer alias and capacity, and our
  own outbound/inbound fee policy on each channel (-> ``fees.json``).
* SYNTHETIC, from a seeded RNG: balances, 60 days of settled forwards (routed through a liquidity
  simulation, so balances and forwards agree), initiator flags, two pending HTLCs, a few inactive
  channels, funding txids (the graph has no chan_point), block hash and node version.

Usage::

    .venv/bin/python scripts/make_lnd_example.py [--node PUBKEY] [--seed 20251026] [--out DIR]

The same arguments give byte-identical files (forward pages are gzip-compressed with mtime 0).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT / "data/graph/describegraph_2025-10-26.json.gz"
NODE = "02b1fe652cfc61f1e5cef78c08d60918d9fad3f029808f995a959e0a9dcbd33bab"  # barcelona-big
DAYS = 60
FORWARDS_PER_DAY = 45.0
PAGE_SIZE = 1000
FEE_PER_KW = 253
COMMIT_WEIGHT = 1116  # anchor commitment without HTLCs, weight units
ANCHORS_SAT = 2 * 330
NS = 1_000_000_000
N_INACTIVE = 3


@dataclass
class Chan:
    """One channel of the demo node while the simulation runs (amounts in msat)."""

    chan_id: int
    block: int
    out_index: int
    peer: str
    peer_alias: str
    capacity_sat: int
    policy: dict[str, Any]
    initiator: bool
    local_msat: int
    remote_msat: int
    out_weight: float
    in_weight: float
    edge: dict[str, Any]
    active: bool = True
    sent_sat: int = 0
    received_sat: int = 0
    n_updates: int = 0
    next_htlc_id: int = 0

    @property
    def reserve_msat(self) -> int:
        return self.capacity_sat * 10  # 1 % of capacity, in msat


def main() -> None:
    """Parse arguments, build the export and write it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--node", default=NODE, help="pubkey of the real node to use")
    parser.add_argument("--seed", type=int, default=20251026, help="RNG seed")
    parser.add_argument("--out", type=Path, default=ROOT / "data/nodes/lnd-example")
    args = parser.parse_args()
    graph = json.loads(gzip.decompress(GRAPH.read_bytes()))
    rng = random.Random(args.seed)
    snapshot_s = int(datetime.fromisoformat(graph["x_snapshot_time_utc"].split(" ")[0]).timestamp())
    block_height = max(int(e["x_scid"].split("x")[0]) for e in graph["edges"]) + 6
    alias, uris, chans = _read_node(graph, args.node, rng)
    events = _simulate(chans, rng, snapshot_s)
    args.out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {
        "getinfo.json": _getinfo(args.node, alias, uris, chans, block_height, snapshot_s, rng),
        "channels.json": {"channels": [_channel(c, block_height, snapshot_s, rng) for c in chans]},
        "fees.json": _fee_report(chans, events, snapshot_s),
        "node.json": _node_info(graph, args.node, chans),
    }
    for page in range(math.ceil(len(events) / PAGE_SIZE)):
        chunk = events[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        files[f"forwards-{page + 1:03d}.json.gz"] = {
            "forwarding_events": chunk, "last_offset_index": page * PAGE_SIZE + len(chunk)}
    _add_pending_htlcs(files["channels.json"]["channels"], block_height, rng)
    for old in args.out.glob("forwards-*.json*"):
        old.unlink()
    for name, document in files.items():
        text = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()
        (args.out / name).write_bytes(gzip.compress(text, mtime=0) if name.endswith(".gz") else text)
    print(f"{args.out}: {len(chans)} channels, {len(events)} forwards in {len(files) - 4} pages")


def _read_node(graph: dict[str, Any], pubkey: str, rng: random.Random) -> tuple[str, list[str], list[Chan]]:
    nodes = {n["pub_key"]: n for n in graph["nodes"]}
    me = nodes[pubkey]
    chans: list[Chan] = []
    for edge in graph["edges"]:
        if pubkey not in (edge["node1_pub"], edge["node2_pub"]):
            continue
        mine = edge["node1_policy"] if edge["node1_pub"] == pubkey else edge["node2_policy"]
        peer = edge["node2_pub"] if edge["node1_pub"] == pubkey else edge["node1_pub"]
        block, _tx, out = (int(p) for p in edge["x_scid"].split("x"))
        capacity = int(edge["capacity"])
        initiator = rng.random() < 0.6
        spendable = (capacity - _commit_fee_sat() - ANCHORS_SAT) * 1000
        local = int(spendable * rng.betavariate(0.9, 0.9))
        dead = rng.random() < 0.15
        chans.append(Chan(
            chan_id=int(edge["channel_id"]), block=block, out_index=out, peer=peer,
            peer_alias=nodes.get(peer, {}).get("alias", ""), capacity_sat=capacity, policy=mine,
            initiator=initiator, local_msat=local, remote_msat=spendable - local,
            out_weight=0.0 if dead else rng.lognormvariate(0, 1),
            in_weight=0.0 if dead else rng.lognormvariate(0, 1), edge=edge))
    chans.sort(key=lambda c: c.chan_id)
    for chan in rng.sample(chans, N_INACTIVE):
        chan.active = False
    uris = [f"{pubkey}@{a['addr']}" for a in me["addresses"]]
    return me["alias"], uris, chans


def _commit_fee_sat() -> int:
    return FEE_PER_KW * COMMIT_WEIGHT // 1000


def _fee_msat(chan_in: Chan, chan_out: Chan, amount_out_msat: int) -> int:
    """Outbound fee of the out channel plus the (usually negative) inbound fee of the in channel, >= 0."""
    out_policy, in_policy = chan_out.policy, chan_in.policy
    outbound = (int(out_policy["fee_base_msat"])
                + amount_out_msat * int(out_policy["fee_rate_milli_msat"]) // 10**6)
    inbound = (int(in_policy["inbound_fee_base_msat"])
               + (amount_out_msat + outbound) * int(in_policy["inbound_fee_rate_milli_msat"]) // 10**6)
    return max(0, outbound + inbound)


def _simulate(chans: list[Chan], rng: random.Random, end_s: int) -> list[dict[str, Any]]:
    """Draw forward attempts over ``DAYS`` days; keep those the balances can carry, moving the balances."""
    start_s = end_s - DAYS * 86_400
    n_attempts = int(FORWARDS_PER_DAY * DAYS * 1.6)
    times_ns = sorted(rng.randrange(start_s * NS, end_s * NS) for _ in range(n_attempts))
    out_weights = [c.out_weight for c in chans]
    in_weights = [c.in_weight for c in chans]
    events: list[dict[str, Any]] = []
    for at_ns in times_ns:
        chan_in, chan_out = rng.choices(chans, in_weights)[0], rng.choices(chans, out_weights)[0]
        if chan_in is chan_out:
            continue
        amount_out = min(int(rng.lognormvariate(math.log(25_000_000), 1.7)), chan_out.capacity_sat * 300)
        fee = _fee_msat(chan_in, chan_out, amount_out)
        amount_in = amount_out + fee
        if (chan_out.local_msat - amount_out < chan_out.reserve_msat
                or chan_in.remote_msat - amount_in < chan_in.reserve_msat):
            continue  # would fail for lack of liquidity: LND records no forwarding event
        chan_out.local_msat -= amount_out
        chan_out.remote_msat += amount_out
        chan_in.remote_msat -= amount_in
        chan_in.local_msat += amount_in
        chan_out.sent_sat += amount_out // 1000
        chan_in.received_sat += amount_in // 1000
        chan_in.n_updates += 3
        chan_out.n_updates += 3
        events.append(_event(chan_in, chan_out, at_ns, amount_in, amount_out))
    return events


def _event(chan_in: Chan, chan_out: Chan, at_ns: int, amount_in: int, amount_out: int) -> dict[str, Any]:
    chan_in.next_htlc_id += 1
    chan_out.next_htlc_id += 1
    return {
        "timestamp": str(at_ns // NS),
        "chan_id_in": str(chan_in.chan_id), "chan_id_out": str(chan_out.chan_id),
        "amt_in": str(amount_in // 1000), "amt_out": str(amount_out // 1000),
        "fee": str((amount_in - amount_out) // 1000), "fee_msat": str(amount_in - amount_out),
        "amt_in_msat": str(amount_in), "amt_out_msat": str(amount_out), "timestamp_ns": str(at_ns),
        "peer_alias_in": chan_in.peer_alias, "peer_alias_out": chan_out.peer_alias,
        "incoming_htlc_id": str(chan_in.next_htlc_id), "outgoing_htlc_id": str(chan_out.next_htlc_id),
    }


def _getinfo(pubkey: str, alias: str, uris: list[str], chans: list[Chan], block_height: int,
             snapshot_s: int, rng: random.Random) -> dict[str, Any]:
    n_inactive = sum(1 for c in chans if not c.active)
    return {
        "version": "0.21.2-beta commit=v0.21.2-beta", "commit_hash": "",
        "identity_pubkey": pubkey, "alias": f"{alias} [synthetic demo]", "color": "#3399ff",
        "num_pending_channels": 0, "num_active_channels": len(chans) - n_inactive,
        "num_inactive_channels": n_inactive, "num_peers": len({c.peer for c in chans}),
        "block_height": block_height, "block_hash": rng.randbytes(32).hex(),
        "best_header_timestamp": str(snapshot_s), "synced_to_chain": True, "synced_to_graph": True,
        "testnet": False, "chains": [{"chain": "bitcoin", "network": "mainnet"}], "uris": uris,
        "features": {"0": {"name": "data-loss-protect", "is_required": True, "is_known": True},
                     "12": {"name": "static-remote-key", "is_required": True, "is_known": True},
                     "23": {"name": "anchors-zero-fee-htlc-tx", "is_required": False, "is_known": True}},
        "require_htlc_interceptor": False, "store_final_htlc_resolutions": False, "wallet_synced": True,
        "graph_cache_status": "GRAPH_CACHE_STATUS_LOADED",
    }


def _channel(chan: Chan, block_height: int, snapshot_s: int, rng: random.Random) -> dict[str, Any]:
    lifetime_s = max(600, (block_height - chan.block) * 600)
    csv_delay = max(144, min(2016, chan.capacity_sat * 2016 // 16_777_215))
    reserve = str(chan.capacity_sat // 100)
    constraints = {"csv_delay": csv_delay, "chan_reserve_sat": reserve, "dust_limit_sat": "354",
                   "max_pending_amt_msat": str(chan.capacity_sat * 990), "min_htlc_msat": "1",
                   "max_accepted_htlcs": 483}
    return {
        "active": chan.active, "remote_pubkey": chan.peer,
        "channel_point": _chan_point(chan), "chan_id": str(chan.chan_id),
        "capacity": str(chan.capacity_sat), "local_balance": str(chan.local_msat // 1000),
        "remote_balance": str(chan.remote_msat // 1000), "commit_fee": str(_commit_fee_sat()),
        "commit_weight": str(COMMIT_WEIGHT), "fee_per_kw": str(FEE_PER_KW), "unsettled_balance": "0",
        "total_satoshis_sent": str(chan.sent_sat), "total_satoshis_received": str(chan.received_sat),
        "num_updates": str(chan.n_updates + rng.randrange(20, 400)), "pending_htlcs": [],
        "csv_delay": csv_delay, "private": False, "initiator": chan.initiator,
        "chan_status_flags": "ChanStatusDefault", "local_chan_reserve_sat": reserve,
        "remote_chan_reserve_sat": reserve, "static_remote_key": True, "commitment_type": "ANCHORS",
        "lifetime": str(lifetime_s), "uptime": str(int(lifetime_s * rng.uniform(0.9, 1.0))),
        "close_address": "", "push_amount_sat": "0", "thaw_height": 0,
        "local_constraints": constraints, "remote_constraints": dict(constraints),
        "alias_scids": [], "zero_conf": False, "zero_conf_confirmed_scid": "0",
        "peer_alias": chan.peer_alias, "peer_scid_alias": "0", "memo": "", "custom_channel_data": "",
    }


def _add_pending_htlcs(channels: list[dict[str, Any]], block_height: int, rng: random.Random) -> None:
    """One incoming HTLC on one active channel and the outgoing HTLC it was forwarded to on another.

    LND leaves in-flight amounts out of both balances: the incoming one off the remote side, the
    outgoing one off the local side.
    """
    amount_sat = 150_000
    active = [c for c in channels if c["active"]]
    chan_in = next(c for c in active if int(c["remote_balance"]) > 2 * amount_sat)
    chan_out = next(c for c in active if c is not chan_in and int(c["local_balance"]) > 2 * amount_sat)
    chan_in["remote_balance"] = str(int(chan_in["remote_balance"]) - amount_sat)
    chan_out["local_balance"] = str(int(chan_out["local_balance"]) - amount_sat)
    hash_lock = base64.b64encode(rng.randbytes(32)).decode()
    for chan, incoming, other in ((chan_in, True, chan_out), (chan_out, False, chan_in)):
        chan["pending_htlcs"] = [{
            "incoming": incoming, "amount": str(amount_sat), "hash_lock": hash_lock,
            "expiration_height": block_height + (120 if incoming else 80),
            "htlc_index": str(rng.randrange(100, 5000)), "forwarding_channel": str(other["chan_id"]),
            "forwarding_htlc_index": str(rng.randrange(100, 5000)), "locked_in": True}]
        chan["unsettled_balance"] = str(amount_sat)


def _chan_point(chan: Chan) -> str:
    """A made-up funding outpoint (the graph snapshot has none); the output index is the real one."""
    return f"{hashlib.sha256(f'synthetic funding {chan.chan_id}'.encode()).hexdigest()}:{chan.out_index}"


def _node_info(graph: dict[str, Any], pubkey: str, chans: list[Chan]) -> dict[str, Any]:
    """``GET /v1/graph/node/{pubkey}?include_channels=true``: the real gossip of our channels."""
    node = next(n for n in graph["nodes"] if n["pub_key"] == pubkey)
    edges = [{key: value for key, value in c.edge.items() if not key.startswith("x_")}
             | {"chan_point": _chan_point(c)} for c in chans]
    return {
        "node": {"last_update": max(int(e["last_update"]) for e in edges), "pub_key": pubkey,
                 "alias": node["alias"], "addresses": node["addresses"], "color": "#3399ff",
                 "features": {}, "custom_records": {}},
        "num_channels": len(edges), "total_capacity": str(sum(c.capacity_sat for c in chans)),
        "channels": edges}


def _fee_report(chans: list[Chan], events: list[dict[str, Any]], snapshot_s: int) -> dict[str, Any]:
    def fee_sum_sat(days: int) -> str:
        since_ns = (snapshot_s - days * 86_400) * NS
        return str(sum(int(e["fee_msat"]) for e in events if int(e["timestamp_ns"]) >= since_ns) // 1000)

    report = []
    for chan in chans:
        policy = chan.policy
        report.append({
            "chan_id": str(chan.chan_id), "channel_point": _chan_point(chan),
            "base_fee_msat": str(policy["fee_base_msat"]), "fee_per_mil": str(policy["fee_rate_milli_msat"]),
            "fee_rate": int(str(policy["fee_rate_milli_msat"])) / 1_000_000,
            "inbound_base_fee_msat": int(str(policy["inbound_fee_base_msat"])),
            "inbound_fee_per_mil": int(str(policy["inbound_fee_rate_milli_msat"]))})
    return {"channel_fees": report, "day_fee_sum": fee_sum_sat(1), "week_fee_sum": fee_sum_sat(7),
            "month_fee_sum": fee_sum_sat(30)}


if __name__ == "__main__":
    main()
