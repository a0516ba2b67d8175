"""Put the node under test into the graph snapshot and compile both into a :class:`SimNetwork`.

The snapshot knows our public channels as of its date; the node export knows them as of its own.
The simulated world is the snapshot with our node's channels replaced by the export's open,
public channels: channels closed since are removed, channels opened since are added (with the
peer's policy towards us from the export), and our side's policy and capacity come from the export.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.graph import Graph, GraphChannel, GraphNode
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.sim.balances import draw_splits
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.units import MSAT_PER_SAT, Msat, Ppm, Sat


def world_graph(graph: Graph, node: NodeSnapshot, *, tag: str = "") -> Graph:
    """The snapshot with our node's channels replaced by the export's open public channels.

    Args:
        graph: the channel-graph snapshot.
        node: our node (possibly reshaped by an archetype).
        tag: text folded into the new fingerprint (e.g. the archetype), so caches keyed by the
            fingerprint never mix two worlds.

    Returns:
        A new :class:`Graph`; ``fingerprint`` = sha256 of the old one, our channel ids and ``tag``.
    """
    ours = {c.chan_id: c for c in node.channels if not c.private}
    kept = [gc for gc in graph.channels
            if node.pubkey not in (gc.node1_pubkey, gc.node2_pubkey) and gc.chan_id not in ours]
    kept += [_graph_channel(node.pubkey, channel) for channel in sorted(ours.values(), key=lambda c: c.chan_id)]
    nodes = dict(graph.nodes)
    nodes.setdefault(node.pubkey, GraphNode(node.pubkey, node.alias))
    for channel in ours.values():
        nodes.setdefault(channel.peer_pubkey, GraphNode(channel.peer_pubkey, channel.peer_alias or ""))
    digest = hashlib.sha256(f"{graph.fingerprint}|{sorted(ours)}|{tag}".encode()).hexdigest()
    return replace(graph, nodes=nodes, channels=tuple(kept), fingerprint=digest)


def _graph_channel(our_pubkey: str, channel: Channel) -> GraphChannel:
    """Our channel as a graph channel: our policy on our side, the peer's on theirs."""
    local = channel.local_policy if channel.active else _disabled(channel.local_policy)
    remote = channel.remote_policy if channel.active else _disabled(channel.remote_policy)
    scid = channel.scid
    if scid is None:
        raise ValueError(f"channel {channel.chan_id} has no short channel id; unconfirmed channels cannot route")
    if our_pubkey < channel.peer_pubkey:
        return GraphChannel(channel.chan_id, scid, our_pubkey, channel.peer_pubkey, channel.capacity_sat, local, remote)
    return GraphChannel(channel.chan_id, scid, channel.peer_pubkey, our_pubkey, channel.capacity_sat, remote, local)


def _disabled(policy: Policy | None) -> Policy | None:
    return None if policy is None else replace(policy, disabled=True)


def build_network(graph: Graph, node: NodeSnapshot, *, balance_model: str, rng: np.random.Generator,
                  bimodal_scale_msat: int = 300_000_000) -> SimNetwork:
    """Compile a world graph (see :func:`world_graph`) into arrays, with initial balances.

    Our channels start with the export's balances; every other channel with a split drawn from
    ``balance_model`` (see ``sim.balances``). Directed edges without a usable policy (absent,
    disabled) cannot forward; parallel enabled channels from one node to another become one pair
    edge.

    Args:
        graph: the world graph.
        node: our node; its channels give our balances.
        balance_model: ``uniform``, ``half`` or ``bimodal``.
        rng: seeded generator for the balances.
        bimodal_scale_msat: scale of the bimodal balance model, msat.

    Returns:
        The network at time 0.
    """
    pubkeys = tuple(sorted(set(graph.nodes) | {node.pubkey}
                           | {p for gc in graph.channels for p in (gc.node1_pubkey, gc.node2_pubkey)}))
    index = {p: i for i, p in enumerate(pubkeys)}
    channels = sorted(graph.channels, key=lambda gc: gc.chan_id)
    caps = np.array([gc.capacity_sat * MSAT_PER_SAT for gc in channels], dtype=np.int64)
    splits = draw_splits(caps, balance_model, rng, bimodal_scale_msat)
    local_msat = {c.chan_id: c.local_balance_sat * MSAT_PER_SAT for c in node.channels}
    net = SimNetwork(pubkeys=pubkeys, our=index[node.pubkey], chan_id=[], cap_msat=[], node1=[], node2=[],
                     bal1_msat=[], init_bal1_msat=[], touched_s=[], ours=[], base_msat=[], rate_ppm=[], cltv=[],
                     min_htlc_msat=[], max_htlc_msat=[], enabled=[], node_fee_msat=[0] * len(pubkeys))
    for gc, cap, split in zip(channels, caps.tolist(), splits.tolist(), strict=True):
        ours = node.pubkey in (gc.node1_pubkey, gc.node2_pubkey)
        bal1 = split
        if ours:
            local = min(cap, local_msat.get(gc.chan_id, cap // 2))
            bal1 = local if gc.node1_pubkey == node.pubkey else cap - local
        _append_channel(net, gc, index, cap, bal1, ours)
    _build_pairs(net)
    return net


def _append_channel(net: SimNetwork, gc: GraphChannel, index: dict[str, int], cap: int, bal1: int, ours: bool) -> None:
    net.chan_index[gc.chan_id] = len(net.chan_id)
    net.chan_id.append(gc.chan_id)
    net.cap_msat.append(cap)
    net.node1.append(index[gc.node1_pubkey])
    net.node2.append(index[gc.node2_pubkey])
    net.bal1_msat.append(bal1)
    net.init_bal1_msat.append(bal1)
    net.touched_s.append(0.0)
    net.ours.append(ours)
    for policy in (gc.node1_policy, gc.node2_policy):
        usable = policy is not None and not policy.disabled
        pol = policy or Policy(base_fee_msat=Msat(0), fee_rate_ppm=Ppm(0))
        net.base_msat.append(int(pol.base_fee_msat))
        net.rate_ppm.append(int(pol.fee_rate_ppm))
        net.cltv.append(int(pol.time_lock_delta))
        net.min_htlc_msat.append(int(pol.min_htlc_msat))
        net.max_htlc_msat.append(cap if pol.max_htlc_msat is None else min(cap, int(pol.max_htlc_msat)))
        net.enabled.append(usable)


def _build_pairs(net: SimNetwork) -> None:
    groups: dict[tuple[int, int], list[int]] = {}
    for edge in range(2 * net.n_channels):
        if net.enabled[edge]:
            groups.setdefault((net.edge_src(edge), net.edge_dst(edge)), []).append(edge)
    for key in sorted(groups):
        pair = len(net.pair_src)
        net.pair_of[key] = pair
        net.pair_src.append(key[0])
        net.pair_dst.append(key[1])
        net.pair_edges.append(tuple(sorted(groups[key], key=lambda e: net.chan_id[e >> 1])))
        for column in (net.pair_base_msat, net.pair_rate_ppm, net.pair_cltv, net.pair_min_msat,
                       net.pair_max_msat, net.pair_cap_msat):
            column.append(0)
        net.unify(pair)


def our_channels(node: NodeSnapshot) -> dict[int, Channel]:
    """Our channels by chan_id (public and private)."""
    return {c.chan_id: c for c in node.channels}


def sat(amount_msat: int) -> Sat:
    """Whole sats in ``amount_msat`` (balances reported to the engine are in sat)."""
    return Sat(amount_msat // MSAT_PER_SAT)
