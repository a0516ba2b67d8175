"""Node archetypes: the real node reshaped into the situations a fee manager must handle.

Every archetype is a deterministic function of the node export and the graph (no randomness), so
all seeds and strategies start from the same node.

| archetype  | what changes                                                                            |
|------------|-----------------------------------------------------------------------------------------|
| as_is      | nothing: the node as exported                                                           |
| saturated  | outbound depleted: each public channel keeps ``local_ratio`` (5 %) of its capacity local |
| inactive   | priced out: every fee at ``fee_rate_ppm`` (3,000) and no forward in the last 30 days     |
| abused     | one cheap channel (``fee_rate_ppm`` 1, 90 % local) drained by one flow from another peer  |
| star       | a hub: ``n_channels`` (20) more balanced channels to the largest nodes of the graph      |
| new_node   | a new small node: ``n_channels`` (5) fresh channels, ``local_ratio`` (50 %) local, no history |

The ``abused`` archetype also returns the draining flow: ``per_day`` payments of ``amount_sat``
from the peer with the largest channel that has no channel of its own to the drained peer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.domain.graph import Graph
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.units import Msat, Ppm, Sat

ARCHETYPES = ("as_is", "saturated", "inactive", "abused", "star", "new_node")


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A fixed payment stream by node id: ``sender`` pays ``receiver`` ``amount_sat``, ``per_day`` times a day."""

    sender: str
    receiver: str
    per_day: float
    amount_sat: int


def apply_archetype(kind: str, node: NodeSnapshot, graph: Graph,
                    params: Mapping[str, float]) -> tuple[NodeSnapshot, tuple[FlowSpec, ...]]:
    """Reshape ``node`` into archetype ``kind``.

    Raises:
        ValueError: unknown archetype, or a node the archetype cannot apply to.
    """
    if kind == "as_is":
        return node, ()
    if kind == "saturated":
        return _saturated(node, float(params.get("local_ratio", 0.05))), ()
    if kind == "inactive":
        return _inactive(node, int(params.get("fee_rate_ppm", 3000)), int(params.get("idle_days", 30))), ()
    if kind == "abused":
        return _abused(node, graph, params)
    if kind == "star":
        return _star(node, graph, int(params.get("n_channels", 20)), int(params.get("capacity_sat", 10_000_000))), ()
    if kind == "new_node":
        return _new_node(node, graph, int(params.get("n_channels", 5)), int(params.get("capacity_sat", 2_000_000)),
                         int(params.get("fee_rate_ppm", 10)), float(params.get("local_ratio", 0.5))), ()
    raise ValueError(f"unknown archetype {kind!r}; expected one of {', '.join(ARCHETYPES)}")


def _with_local(channel: Channel, local_sat: int) -> Channel:
    local = max(0, min(int(channel.capacity_sat), local_sat))
    return replace(channel, local_balance_sat=Sat(local), remote_balance_sat=Sat(channel.capacity_sat - local))


def _saturated(node: NodeSnapshot, local_ratio: float) -> NodeSnapshot:
    channels = tuple(c if c.private else _with_local(c, round(c.capacity_sat * local_ratio)) for c in node.channels)
    return replace(node, channels=channels)


def _inactive(node: NodeSnapshot, fee_rate_ppm: int, idle_days: int) -> NodeSnapshot:
    channels = tuple(replace(c, local_policy=replace(c.local_policy, fee_rate_ppm=Ppm(fee_rate_ppm)))
                     if c.local_policy else c for c in node.channels)
    cutoff = node.taken_at - timedelta(days=idle_days)
    return replace(node, channels=channels, forwards=tuple(f for f in node.forwards if f.resolved_at <= cutoff))


def _routable(channel: Channel) -> bool:
    return channel.active and not channel.private and channel.local_policy is not None


def _abused(node: NodeSnapshot, graph: Graph, params: Mapping[str, float]) -> tuple[NodeSnapshot, tuple[FlowSpec, ...]]:
    usable = sorted((c for c in node.channels if _routable(c)), key=lambda c: (-c.capacity_sat, c.chan_id))
    if len(usable) < 2:
        raise ValueError("the abused archetype needs at least two active public channels")
    drained = usable[0]
    neighbours = {gc.other(drained.peer_pubkey) for gc in graph.channels
                  if drained.peer_pubkey in (gc.node1_pubkey, gc.node2_pubkey)}
    source = next((c for c in usable[1:] if c.peer_pubkey not in neighbours), usable[1])
    assert drained.local_policy is not None  # _routable
    cheap = replace(drained.local_policy, fee_rate_ppm=Ppm(int(params.get("fee_rate_ppm", 1))))
    local_sat = round(drained.capacity_sat * params.get("local_ratio", 0.9))
    reshaped = _with_local(replace(drained, local_policy=cheap), local_sat)
    channels = tuple(reshaped if c.chan_id == drained.chan_id else c for c in node.channels)
    flow = FlowSpec(source.peer_pubkey, drained.peer_pubkey, float(params.get("per_day", 40.0)),
                    int(params.get("amount_sat", 200_000)))
    return replace(node, channels=channels), (flow,)


def _largest_nodes(graph: Graph, exclude: set[str], n: int) -> list[tuple[str, int]]:
    capacity: dict[str, int] = {}
    for gc in graph.channels:
        for pubkey in (gc.node1_pubkey, gc.node2_pubkey):
            capacity[pubkey] = capacity.get(pubkey, 0) + int(gc.capacity_sat)
    ranked = sorted(((p, c) for p, c in capacity.items() if p not in exclude), key=lambda pc: (-pc[1], pc[0]))
    return ranked[:n]


def _peer_median_fee(graph: Graph, pubkey: str) -> int:
    fees = sorted(int(p.fee_rate_ppm) for gc in graph.channels for p in (gc.policy_from(pubkey),)
                  if p is not None and not p.disabled)
    return fees[len(fees) // 2] if fees else 0


def _new_channel(node: NodeSnapshot, graph: Graph, peer: str, index: int, capacity_sat: int, local_sat: int,
                 fee_rate_ppm: int, age_blocks: int) -> Channel:
    scid = ShortChannelId(node.block_height - age_blocks, 9000 + index, 0)
    ours = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(fee_rate_ppm), time_lock_delta=34)
    theirs = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(_peer_median_fee(graph, peer)), time_lock_delta=80)
    alias = graph.nodes[peer].alias if peer in graph.nodes else None
    return Channel(chan_id=scid.chan_id, scid=scid, chan_point=None, peer_pubkey=peer, peer_alias=alias,
                   capacity_sat=Sat(capacity_sat), local_balance_sat=Sat(local_sat),
                   remote_balance_sat=Sat(capacity_sat - local_sat), active=True, private=False,
                   opener=Opener.LOCAL, local_policy=ours, remote_policy=theirs)


def _star(node: NodeSnapshot, graph: Graph, n_channels: int, capacity_sat: int) -> NodeSnapshot:
    peers = {c.peer_pubkey for c in node.channels} | {node.pubkey}
    fees = sorted(int(c.local_policy.fee_rate_ppm) for c in node.channels if c.local_policy is not None)
    fee = fees[len(fees) // 2] if fees else 100
    added = tuple(_new_channel(node, graph, peer, i, capacity_sat, capacity_sat // 2, fee, 5000)
                  for i, (peer, _) in enumerate(_largest_nodes(graph, peers, n_channels)))
    return replace(node, channels=node.channels + added)


def _new_node(node: NodeSnapshot, graph: Graph, n_channels: int, capacity_sat: int, fee_rate_ppm: int,
              local_ratio: float) -> NodeSnapshot:
    pubkey = "02" + hashlib.sha256(b"mcp-lightning simulated new node").hexdigest()
    fresh = replace(node, pubkey=pubkey, alias="NEWNODE", channels=(), forwards=(), skipped=())
    peers = _largest_nodes(graph, {node.pubkey, pubkey}, n_channels)
    local_sat = round(capacity_sat * local_ratio)  # 1.0: a plain single-funded open, no inbound at all
    channels = tuple(_new_channel(fresh, graph, peer, i, capacity_sat, local_sat, fee_rate_ppm, 6)
                     for i, (peer, _) in enumerate(peers))
    return replace(fresh, channels=channels)
