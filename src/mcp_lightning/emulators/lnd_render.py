"""Domain values rendered as LND REST JSON, every field present as LND's gateway emits them.

LND's REST proxy marshals with ``EmitUnpopulated``: all fields appear, int64/uint64 as strings,
unset messages as ``null``, enums as their names. Our units are turned back into LND's names here
(``fee_rate_milli_msat`` is ppm, ``capacity`` sat, ``min_htlc`` msat).
"""

from __future__ import annotations

from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.emulators.state import NodeState, PendingChannel, max_htlc_ceiling_msat
from mcp_lightning.units import msat_to_sat

Json = dict[str, object]
LND_VERSION = "0.21.2-beta commit=emulated"
_NS_PER_S = 1_000_000_000


def getinfo(state: NodeState) -> Json:
    """``GetInfoResponse``."""
    channels = state.channels()
    n_active = sum(1 for c in channels if c.active)
    return {
        "version": LND_VERSION, "commit_hash": "0" * 40, "identity_pubkey": state.pubkey, "alias": state.alias,
        "color": "#3399ff", "num_pending_channels": len(state.pending), "num_active_channels": n_active,
        "num_inactive_channels": len(channels) - n_active,
        "num_peers": len({c.peer_pubkey for c in channels}), "block_height": state.block_height,
        "block_hash": "0" * 64, "best_header_timestamp": str(int(state.now().timestamp())),
        "synced_to_chain": True, "synced_to_graph": True, "testnet": False,
        "chains": [{"chain": "bitcoin", "network": "mainnet"}], "uris": [f"{state.pubkey}@127.0.0.1:9735"],
        "features": {"9": {"name": "tlv-onion", "is_required": False, "is_known": True}},
        "require_htlc_interceptor": False, "store_final_htlc_resolutions": False, "wallet_synced": True,
        "graph_cache_status": "GRAPH_CACHE_STATUS_LOADED",
    }


def _constraints(channel: Channel) -> Json:
    return {"csv_delay": 144, "chan_reserve_sat": str(channel.capacity_sat // 100), "dust_limit_sat": "354",
            "max_pending_amt_msat": str(max_htlc_ceiling_msat(channel)), "min_htlc_msat": "1",
            "max_accepted_htlcs": 483}


def channel(chan: Channel) -> Json:
    """``lnrpc.Channel`` of ``ListChannelsResponse``."""
    htlcs = [{"incoming": h.direction == "in", "amount": str(msat_to_sat(h.amount_msat)), "hash_lock": "",
              "expiration_height": h.expiry_height, "htlc_index": str(index), "forwarding_channel": "0",
              "forwarding_htlc_index": "0", "locked_in": True} for index, h in enumerate(chan.pending_htlcs)]
    return {
        "active": chan.active, "remote_pubkey": chan.peer_pubkey, "channel_point": chan.chan_point or "",
        "chan_id": str(chan.chan_id), "capacity": str(chan.capacity_sat), "local_balance": str(chan.local_balance_sat),
        "remote_balance": str(chan.remote_balance_sat), "commit_fee": "0", "commit_weight": "772", "fee_per_kw": "253",
        "unsettled_balance": str(sum(msat_to_sat(h.amount_msat) for h in chan.pending_htlcs)),
        "total_satoshis_sent": "0", "total_satoshis_received": "0", "num_updates": "0", "pending_htlcs": htlcs,
        "csv_delay": 144, "private": chan.private, "initiator": chan.opener == "local",
        "chan_status_flags": "ChanStatusDefault", "local_chan_reserve_sat": str(chan.capacity_sat // 100),
        "remote_chan_reserve_sat": str(chan.capacity_sat // 100), "static_remote_key": False,
        "commitment_type": "ANCHORS", "lifetime": "0", "uptime": "0", "close_address": "", "push_amount_sat": "0",
        "thaw_height": 0, "local_constraints": _constraints(chan), "remote_constraints": _constraints(chan),
        "alias_scids": [], "zero_conf": False, "zero_conf_confirmed_scid": "0", "peer_alias": chan.peer_alias or "",
        "peer_scid_alias": "0", "memo": "", "custom_channel_data": "",
    }


def routing_policy(policy: Policy | None) -> Json | None:
    """``RoutingPolicy``; None (JSON null) for a direction that never announced one."""
    if policy is None:
        return None
    return {
        "time_lock_delta": policy.time_lock_delta, "min_htlc": str(policy.min_htlc_msat),
        "fee_base_msat": str(policy.base_fee_msat), "fee_rate_milli_msat": str(policy.fee_rate_ppm),
        "disabled": policy.disabled, "max_htlc_msat": str(policy.max_htlc_msat or 0),
        "last_update": int(policy.last_update_at.timestamp()) if policy.last_update_at else 0,
        "custom_records": {}, "inbound_fee_base_msat": policy.inbound_base_fee_msat,
        "inbound_fee_rate_milli_msat": policy.inbound_fee_rate_ppm,
    }


def edge(state: NodeState, chan: Channel) -> Json:
    """``ChannelEdge`` of one of our channels; node1 is the lexicographically smaller pubkey."""
    we_are_node1 = state.pubkey < chan.peer_pubkey
    ours, theirs = routing_policy(chan.local_policy), routing_policy(chan.remote_policy)
    updates = [p.last_update_at for p in (chan.local_policy, chan.remote_policy) if p and p.last_update_at]
    return {
        "channel_id": str(chan.chan_id), "chan_point": chan.chan_point or "",
        "last_update": int(max(updates).timestamp()) if updates else 0,
        "node1_pub": state.pubkey if we_are_node1 else chan.peer_pubkey,
        "node2_pub": chan.peer_pubkey if we_are_node1 else state.pubkey,
        "capacity": str(chan.capacity_sat), "node1_policy": ours if we_are_node1 else theirs,
        "node2_policy": theirs if we_are_node1 else ours, "custom_records": {}, "auth_proof": None,
    }


def lightning_node(pubkey: str, alias: str) -> Json:
    """``LightningNode``."""
    return {"last_update": 0, "pub_key": pubkey, "alias": alias, "addresses": [], "color": "#000000",
            "features": {}, "custom_records": {}}


def node_info(state: NodeState) -> Json:
    """``NodeInfo`` of our own node with its public channels (``include_channels=true``)."""
    public = [c for c in state.channels() if not c.private]
    return {"node": lightning_node(state.pubkey, state.alias), "num_channels": len(public),
            "total_capacity": str(sum(c.capacity_sat for c in public)),
            "channels": [edge(state, c) for c in public]}


def graph(state: NodeState) -> Json:
    """``ChannelGraph``: our node, our peers and our public channels (what the emulator knows of the network)."""
    public = [c for c in state.channels() if not c.private]
    peers = {c.peer_pubkey: c.peer_alias or "" for c in public}
    return {"nodes": [lightning_node(state.pubkey, state.alias)] + [lightning_node(k, v) for k, v in peers.items()],
            "edges": [edge(state, c) for c in public]}


def fee_report(state: NodeState) -> Json:
    """``FeeReportResponse`` (``fee_per_mil`` is ppm) with day/week/month fee sums in sat."""
    entries = []
    for chan in state.channels():
        policy = chan.local_policy
        assert policy is not None  # NodeState gives every channel one
        entries.append({"chan_id": str(chan.chan_id), "channel_point": chan.chan_point or "",
                        "base_fee_msat": str(policy.base_fee_msat), "fee_per_mil": str(policy.fee_rate_ppm),
                        "fee_rate": policy.fee_rate_ppm / 1_000_000,
                        "inbound_base_fee_msat": policy.inbound_base_fee_msat,
                        "inbound_fee_per_mil": policy.inbound_fee_rate_ppm})
    now_s = state.now().timestamp()
    sums = {days: sum(f.fee_msat for f in state.forwards() if now_s - f.resolved_at.timestamp() <= days * 86_400)
            for days in (1, 7, 30)}
    return {"channel_fees": entries, "day_fee_sum": str(sums[1] // 1000), "week_fee_sum": str(sums[7] // 1000),
            "month_fee_sum": str(sums[30] // 1000)}


def forwarding_event(forward: Forward, index: int) -> Json:
    """``ForwardingEvent``; sat fields are the msat ones rounded down."""
    timestamp_ns = int(forward.resolved_at.timestamp()) * _NS_PER_S + forward.resolved_at.microsecond * 1000
    return {
        "timestamp": str(timestamp_ns // _NS_PER_S), "chan_id_in": str(forward.in_chan_id),
        "chan_id_out": str(forward.out_chan_id), "amt_in": str(forward.amount_in_msat // 1000),
        "amt_out": str(forward.amount_out_msat // 1000), "fee": str(forward.fee_msat // 1000),
        "fee_msat": str(forward.fee_msat), "amt_in_msat": str(forward.amount_in_msat),
        "amt_out_msat": str(forward.amount_out_msat), "timestamp_ns": str(timestamp_ns), "peer_alias_in": "",
        "peer_alias_out": "", "incoming_htlc_id": str(index), "outgoing_htlc_id": str(index),
    }


def _pending_channel(pending: PendingChannel) -> Json:
    return {"remote_node_pub": pending.peer_pubkey, "channel_point": pending.chan_point,
            "capacity": str(pending.capacity_sat), "local_balance": str(pending.capacity_sat), "remote_balance": "0",
            "local_chan_reserve_sat": "0", "remote_chan_reserve_sat": "0", "initiator": "INITIATOR_LOCAL",
            "commitment_type": "ANCHORS", "num_forwarding_packages": "0", "chan_status_flags": "", "private": False,
            "memo": "", "custom_channel_data": ""}


def pending_channels(state: NodeState) -> Json:
    """``PendingChannelsResponse``: opening channels and channels waiting for their close to confirm."""
    opening = [{"channel": _pending_channel(p), "commit_fee": "0", "commit_weight": "0", "fee_per_kw": "253",
                "funding_expiry_blocks": 2016, "confirmations_until_active": 3, "confirmation_height": 0}
               for p in state.pending if p.kind == "opening"]
    commitments = {"local_txid": "", "remote_txid": "", "remote_pending_txid": "", "local_commit_fee_sat": "0",
                   "remote_commit_fee_sat": "0", "remote_pending_commit_fee_sat": "0"}
    closing = [{"channel": _pending_channel(p), "limbo_balance": str(p.capacity_sat), "commitments": commitments,
                "closing_txid": "", "closing_tx_hex": "", "blocks_til_close_confirmed": 0, "close_height": 0}
               for p in state.pending if p.kind == "closing"]
    return {"total_limbo_balance": str(sum(p.capacity_sat for p in state.pending if p.kind == "closing")),
            "pending_open_channels": opening, "pending_closing_channels": [], "pending_force_closing_channels": [],
            "waiting_close_channels": closing}


def rpc_status(code: int, message: str) -> Json:
    """grpc-gateway's error body (``rpcStatus``)."""
    return {"code": code, "message": message, "details": []}
