"""Core Lightning JSON-RPC results turned into domain values; CLN's field names stay in this module.

Shared by the live adapter (``adapters.cln.node``) and the export reader (``adapters.files.cln_export``):
each function raises ``FieldError`` naming the field, which the caller turns into its own skip or error.

``fee_proportional_millionths``/``fee_per_millionth`` are ppm, ``*_msat`` are msat (integers, or
``"…msat"`` strings from older releases). Policies come from ``listpeerchannels`` ``updates``
(v24.02+): ``local`` is ours, ``remote`` the peer's; older nodes give only our fees at top level.
"""

from __future__ import annotations

from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    bool_field,
    int_field,
    list_field,
    object_field,
    pubkey_field,
    str_field,
    timestamp_field,
)
from mcp_lightning.domain.channel import Channel, HtlcCounters, HtlcDirection, Opener, PendingHtlc, Policy
from mcp_lightning.domain.channel import ShortChannelId as Scid
from mcp_lightning.domain.forward import Forward
from mcp_lightning.units import UINT32_MAX, Msat, Ppm, Sat, msat_to_sat

OPEN_STATES = frozenset({"CHANNELD_NORMAL", "CHANNELD_AWAITING_SPLICE"})
NO_MAX_HTLC_MSAT = 0xFFFFFFFFFFFFFFFF
_CLTV_MAX = 0xFFFF
_COUNTERS = ("in_payments_offered", "in_payments_fulfilled", "out_payments_offered", "out_payments_fulfilled")
_DIRECTIONS = {"in": HtlcDirection.IN, "incoming": HtlcDirection.IN, "out": HtlcDirection.OUT,
               "outgoing": HtlcDirection.OUT}


def scid_field(record: JsonObject, key: str) -> Scid:
    """A ``BLOCKxTXxOUT`` field."""
    text = str_field(record, key)
    try:
        return Scid.parse(text)
    except ValueError as exc:
        raise FieldError(key, text, "a short channel id BLOCKxTXxOUT") from exc


def _msat(record: JsonObject, key: str, **limits: int) -> int:
    return int_field(record, key, suffix="msat", **limits)


def _update_policy(update: JsonObject) -> Policy:
    max_htlc = _msat(update, "htlc_maximum_msat")
    return Policy(
        base_fee_msat=Msat(_msat(update, "fee_base_msat", maximum=UINT32_MAX)),
        fee_rate_ppm=Ppm(int_field(update, "fee_proportional_millionths", maximum=UINT32_MAX)),
        time_lock_delta=int_field(update, "cltv_expiry_delta", maximum=_CLTV_MAX),
        min_htlc_msat=Msat(_msat(update, "htlc_minimum_msat")),
        max_htlc_msat=None if max_htlc == NO_MAX_HTLC_MSAT else Msat(max_htlc))


def gossip_policy(record: JsonObject, side: str) -> Policy | None:
    """``updates.local`` or ``updates.remote`` of a ``listpeerchannels`` entry (v24.02+); None when absent.

    Raises:
        FieldError: a bad field, named from ``updates`` down (e.g. ``updates.local.fee_base_msat``).
    """
    updates, update = object_field(record, "updates"), None
    try:
        update = object_field(updates, side) if updates else None
        return None if update is None else _update_policy(update)
    except FieldError as exc:
        raise exc.within("updates" if update is None else f"updates.{side}") from None


def local_policy(record: JsonObject) -> Policy | None:
    """Our policy: ``updates.local``, else the top-level fee fields of an older node (default CLTV delta)."""
    policy = gossip_policy(record, "local")
    if policy is not None or "fee_proportional_millionths" not in record:
        return policy
    return Policy(
        base_fee_msat=Msat(_msat(record, "fee_base_msat", maximum=UINT32_MAX)),
        fee_rate_ppm=Ppm(int_field(record, "fee_proportional_millionths", maximum=UINT32_MAX)),
        min_htlc_msat=Msat(_msat(record, "minimum_htlc_out_msat", default=0)),
        max_htlc_msat=Msat(_msat(record, "maximum_htlc_out_msat")) if "maximum_htlc_out_msat" in record else None)


def parse_peer_channel(record: JsonObject, remote: Policy | None = None) -> Channel:
    """One open ``listpeerchannels`` entry; ``remote`` stands in when ``updates.remote`` is absent."""
    scid = scid_field(record, "short_channel_id")
    total_msat = _msat(record, "total_msat", minimum=1000)
    capacity_sat = msat_to_sat(total_msat)
    local_sat = msat_to_sat(_msat(record, "to_us_msat", maximum=total_msat))
    opener = str_field(record, "opener", default="unknown")
    txid = str_field(record, "funding_txid", default="")
    return Channel(
        chan_id=scid.chan_id, scid=scid, peer_pubkey=pubkey_field(record, "peer_id"), peer_alias=None,
        chan_point=f"{txid}:{int_field(record, 'funding_outnum', maximum=UINT32_MAX)}" if txid else None,
        capacity_sat=capacity_sat, local_balance_sat=local_sat, remote_balance_sat=Sat(capacity_sat - local_sat),
        active=bool_field(record, "peer_connected", default=False),
        private=bool_field(record, "private", default=False),
        opener=Opener(opener) if opener in ("local", "remote") else Opener.UNKNOWN,
        local_policy=local_policy(record), remote_policy=gossip_policy(record, "remote") or remote,
        pending_htlcs=_pending_htlcs(record),
        htlc_counters=HtlcCounters(*(int_field(record, key) for key in _COUNTERS))
        if all(key in record for key in _COUNTERS) else None,
        max_htlc_ceiling_msat=_max_htlc_ceiling(record, total_msat))


def _max_htlc_ceiling(record: JsonObject, total_msat: int) -> Msat | None:
    """Core Lightning's ``htlc_max_possible_send``: ``min(total - our_reserve, their max in flight)``, msat."""
    if "our_reserve_msat" not in record and "their_max_htlc_value_in_flight_msat" not in record:
        return None
    ceiling = total_msat - _msat(record, "our_reserve_msat", default=0, maximum=total_msat)
    if "their_max_htlc_value_in_flight_msat" in record:
        ceiling = min(ceiling, _msat(record, "their_max_htlc_value_in_flight_msat"))
    return Msat(ceiling)


def _pending_htlcs(record: JsonObject) -> tuple[PendingHtlc, ...]:
    htlcs: list[PendingHtlc] = []
    for index, raw in enumerate(list_field(record, "htlcs")):
        try:
            htlc = as_record(raw, "htlc")
            direction = str_field(htlc, "direction")
            if direction not in _DIRECTIONS:
                raise FieldError("direction", direction, "'in' or 'out'")
            htlcs.append(PendingHtlc(_DIRECTIONS[direction], Msat(_msat(htlc, "amount_msat")),
                                     int_field(htlc, "expiry", maximum=UINT32_MAX)))
        except FieldError as exc:
            raise exc.within(f"htlcs[{index}]") from None
    return tuple(htlcs)


def half_channel_policy(record: JsonObject) -> Policy:
    """One ``listchannels`` direction: ``base_fee_millisatoshi``, ``fee_per_millionth`` (ppm), ``delay``."""
    max_htlc = _msat(record, "htlc_maximum_msat") if "htlc_maximum_msat" in record else None
    return Policy(
        base_fee_msat=Msat(int_field(record, "base_fee_millisatoshi", maximum=UINT32_MAX)),
        fee_rate_ppm=Ppm(int_field(record, "fee_per_millionth", maximum=UINT32_MAX)),
        time_lock_delta=int_field(record, "delay", maximum=_CLTV_MAX),
        min_htlc_msat=Msat(_msat(record, "htlc_minimum_msat")),
        max_htlc_msat=Msat(max_htlc) if max_htlc is not None else None,
        disabled=not bool_field(record, "active", default=True),
        last_update_at=timestamp_field(record, "last_update") if record.get("last_update") else None)


def parse_forward(record: JsonObject) -> Forward:
    """One settled ``listforwards`` entry (``fee_msat``, when present, must be ``in_msat - out_msat``).

    The time is ``resolved_time``, else ``received_time`` (``resolved_time`` is 0 on old forwards).
    """
    in_msat = _msat(record, "in_msat")
    out_msat = _msat(record, "out_msat", maximum=in_msat)
    if _msat(record, "fee_msat", default=in_msat - out_msat) != in_msat - out_msat:
        raise FieldError("fee_msat", record["fee_msat"], f"in_msat - out_msat = {in_msat - out_msat}")
    time_key = "resolved_time" if record.get("resolved_time") else "received_time"
    return Forward(
        in_chan_id=scid_field(record, "in_channel").chan_id, out_chan_id=scid_field(record, "out_channel").chan_id,
        amount_in_msat=Msat(in_msat), amount_out_msat=Msat(out_msat), fee_msat=Msat(in_msat - out_msat),
        resolved_at=timestamp_field(record, time_key))
