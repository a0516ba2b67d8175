"""Domain values rendered as Core Lightning JSON-RPC results (v24.02+ field names).

``fee_proportional_millionths``/``fee_per_millionth`` are ppm; ``*_msat`` are msat as integers.
"""

from __future__ import annotations

from mcp_lightning.domain.channel import Channel, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.emulators.state import NodeState, max_htlc_ceiling_msat

Json = dict[str, object]
CLN_VERSION = "v26.06-emulated"
NO_MAX_HTLC_MSAT = 0xFFFFFFFFFFFFFFFF  # what Core Lightning shows when no maximum is set
_CHANNEL_FLAGS_DISABLED = 2


def channel_id(chan_point: str) -> str:
    """BOLT 2 ``channel_id``: the funding txid (wire byte order) XOR the output index in its last 2 bytes."""
    txid, vout = chan_point.split(":")
    wire = bytearray(bytes.fromhex(txid)[::-1])
    wire[30] ^= (int(vout) >> 8) & 0xFF
    wire[31] ^= int(vout) & 0xFF
    return bytes(wire).hex()


def getinfo(state: NodeState) -> Json:
    """``getinfo``."""
    channels = state.channels()
    n_active = sum(1 for c in channels if c.active)
    return {
        "id": state.pubkey, "alias": state.alias, "color": "3399ff",
        "num_peers": len({c.peer_pubkey for c in channels}), "num_pending_channels": len(state.pending),
        "num_active_channels": n_active, "num_inactive_channels": len(channels) - n_active,
        "address": [{"type": "ipv4", "address": "127.0.0.1", "port": 9735}], "binding": [],
        "version": CLN_VERSION, "blockheight": state.block_height, "network": "bitcoin",
        "fees_collected_msat": sum(f.fee_msat for f in state.forwards()), "lightning-dir": "/emulated/bitcoin",
    }


def _update(policy: Policy) -> Json:
    return {"htlc_minimum_msat": policy.min_htlc_msat, "htlc_maximum_msat": policy.max_htlc_msat or NO_MAX_HTLC_MSAT,
            "cltv_expiry_delta": policy.time_lock_delta, "fee_base_msat": policy.base_fee_msat,
            "fee_proportional_millionths": policy.fee_rate_ppm}


def peer_channel(our_pubkey: str, chan: Channel) -> Json:
    """One ``listpeerchannels`` entry in state ``CHANNELD_NORMAL``, with ``updates.local``/``remote``."""
    local = chan.local_policy
    assert local is not None  # NodeState gives every channel one
    updates: Json = {"local": _update(local)}
    if chan.remote_policy is not None:
        updates["remote"] = _update(chan.remote_policy)
    txid, vout = (chan.chan_point or f"{'0' * 64}:0").split(":")
    total_msat, to_us_msat = chan.capacity_sat * 1000, chan.local_balance_sat * 1000
    reserve_msat = chan.capacity_sat * 10
    return {
        "peer_id": chan.peer_pubkey, "peer_connected": chan.active, "reestablished": chan.active,
        "state": "CHANNELD_NORMAL", "short_channel_id": str(chan.scid),
        "direction": 0 if our_pubkey < chan.peer_pubkey else 1,
        "channel_id": channel_id(f"{txid}:{vout}"), "funding_txid": txid, "funding_outnum": int(vout),
        "private": chan.private, "opener": "local" if chan.opener == "local" else "remote", "features": [],
        "updates": updates, "to_us_msat": to_us_msat, "min_to_us_msat": to_us_msat, "max_to_us_msat": to_us_msat,
        "total_msat": total_msat, "fee_base_msat": local.base_fee_msat,
        "fee_proportional_millionths": local.fee_rate_ppm, "dust_limit_msat": 546_000,
        "their_reserve_msat": reserve_msat, "our_reserve_msat": reserve_msat,
        "their_max_htlc_value_in_flight_msat": max_htlc_ceiling_msat(chan),
        "our_max_htlc_value_in_flight_msat": total_msat,
        "spendable_msat": max(0, to_us_msat - reserve_msat),
        "receivable_msat": max(0, total_msat - to_us_msat - reserve_msat),
        "minimum_htlc_in_msat": 0, "minimum_htlc_out_msat": local.min_htlc_msat,
        "maximum_htlc_out_msat": local.max_htlc_msat or total_msat, "their_to_self_delay": 144,
        "our_to_self_delay": 144, "max_accepted_htlcs": 483, "state_changes": [], "status": [],
        "in_payments_offered": 0, "in_offered_msat": 0, "in_payments_fulfilled": 0, "in_fulfilled_msat": 0,
        "out_payments_offered": 0, "out_offered_msat": 0, "out_payments_fulfilled": 0, "out_fulfilled_msat": 0,
        "htlcs": [{"direction": h.direction, "id": index, "amount_msat": h.amount_msat, "expiry": h.expiry_height,
                   "payment_hash": "00" * 32, "state": "RCVD_ADD_ACK_REVOCATION" if h.direction == "in"
                   else "SENT_ADD_ACK_REVOCATION"} for index, h in enumerate(chan.pending_htlcs)],
    }


def half_channel(state: NodeState, chan: Channel, *, ours: bool) -> Json | None:
    """One ``listchannels`` entry: the direction set by us (``ours``) or by the peer; None without a policy."""
    policy = chan.local_policy if ours else chan.remote_policy
    if policy is None:
        return None
    source, destination = (state.pubkey, chan.peer_pubkey) if ours else (chan.peer_pubkey, state.pubkey)
    direction = 0 if source < destination else 1
    last_update = int(policy.last_update_at.timestamp()) if policy.last_update_at else int(state.now().timestamp())
    entry: Json = {
        "source": source, "destination": destination, "short_channel_id": str(chan.scid), "direction": direction,
        "public": not chan.private, "amount_msat": chan.capacity_sat * 1000, "message_flags": 1,
        "channel_flags": direction | (_CHANNEL_FLAGS_DISABLED if policy.disabled else 0), "active": not policy.disabled,
        "last_update": last_update, "base_fee_millisatoshi": policy.base_fee_msat,
        "fee_per_millionth": policy.fee_rate_ppm, "delay": policy.time_lock_delta,
        "htlc_minimum_msat": policy.min_htlc_msat, "features": "",
    }
    if policy.max_htlc_msat is not None:
        entry["htlc_maximum_msat"] = policy.max_htlc_msat
    return entry


def scid_text(chan_id: int | None) -> str:
    """``BLOCKxTXxOUT`` of a uint64 chan_id (forwards keep the ids of closed channels too)."""
    return str(ShortChannelId.from_chan_id(chan_id or 0))


def forward(item: Forward, index: int) -> Json:
    """One settled ``listforwards`` entry (times are Unix seconds, floats)."""
    resolved_s = round(item.resolved_at.timestamp(), 3)
    return {
        "created_index": index, "updated_index": index, "in_channel": scid_text(item.in_chan_id),
        "in_htlc_id": index, "in_msat": item.amount_in_msat, "status": "settled", "received_time": resolved_s,
        "out_channel": scid_text(item.out_chan_id), "out_htlc_id": index, "out_msat": item.amount_out_msat,
        "fee_msat": item.fee_msat, "style": "tlv", "resolved_time": resolved_s,
    }


def setchannel_result(chan: Channel) -> Json:
    """One ``setchannel`` result entry for a channel after the update."""
    local = chan.local_policy
    assert local is not None
    return {"peer_id": chan.peer_pubkey, "channel_id": channel_id(chan.chan_point or f"{'0' * 64}:0"),
            "short_channel_id": str(chan.scid), "fee_base_msat": local.base_fee_msat,
            "fee_proportional_millionths": local.fee_rate_ppm, "ignore_fee_limits": False,
            "minimum_htlc_out_msat": local.min_htlc_msat,
            "maximum_htlc_out_msat": local.max_htlc_msat or chan.capacity_sat * 1000}
