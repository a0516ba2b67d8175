"""LND REST answers turned into domain values; LND's field names stay in this module.

LND names: ``fee_rate_milli_msat`` and ``fee_per_mil`` are ppm; ``capacity`` and ``local_balance``
are sat; ``min_htlc`` is msat. REST (grpc-gateway, ``EmitUnpopulated``) encodes int64/uint64 as
strings and an unset message (a policy never announced) as ``null``.

Each function raises ``FieldError`` (from ``adapters.files.json_files``) naming the field; the
live adapter (``adapters.lnd.node``) and the export reader (``adapters.files.lnd_export``) both use
these functions and either skip that one record or turn the error into their own exception.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

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
    unix_time,
)
from mcp_lightning.domain.channel import Channel, HtlcDirection, Opener, PendingHtlc, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.units import UINT32_MAX, Msat, Ppm, Sat, sat_to_msat

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
MAX_CAPACITY_SAT = 21_000_000 * 100_000_000
_NS_PER_S = 1_000_000_000
_PENDING_KINDS = (("pending_open_channels", "pending open"), ("pending_force_closing_channels", "force closing"),
                  ("waiting_close_channels", "waiting for the closing transaction"),
                  ("pending_closing_channels", "closing"))


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """``GET /v1/getinfo``: who the node is and the chain tip it sees."""

    pubkey: str
    alias: str
    block_height: int


@dataclass(frozen=True, slots=True)
class FeeEntry:
    """One ``ChannelFeeReport``: the fees the switch enforces (inbound fees are negative for a discount)."""

    base_fee_msat: Msat
    fee_rate_ppm: Ppm
    inbound_base_fee_msat: Msat
    inbound_fee_rate_ppm: Ppm


def parse_getinfo(document: JsonObject) -> NodeIdentity:
    """Read ``identity_pubkey``, ``alias`` and ``block_height`` (``GetInfoResponse``)."""
    return NodeIdentity(pubkey_field(document, "identity_pubkey"), str_field(document, "alias", default=""),
                        int_field(document, "block_height", maximum=UINT32_MAX))


def parse_fee_entry(record: JsonObject) -> tuple[int, str, FeeEntry]:
    """One ``ChannelFeeReport``: ``(chan_id or 0, channel_point or "", fees)``; ``fee_per_mil`` is ppm.

    Older LND reports no ``chan_id``; callers then key the fees by ``channel_point``.
    """
    chan_id, chan_point = int_field(record, "chan_id", default=0), str_field(record, "channel_point", default="")
    return chan_id, chan_point, FeeEntry(
        base_fee_msat=Msat(int_field(record, "base_fee_msat", maximum=UINT32_MAX)),
        fee_rate_ppm=Ppm(int_field(record, "fee_per_mil", maximum=UINT32_MAX)),
        inbound_base_fee_msat=Msat(_int32(record, "inbound_base_fee_msat")),
        inbound_fee_rate_ppm=Ppm(_int32(record, "inbound_fee_per_mil")))


def parse_routing_policy(edge: JsonObject, key: str) -> Policy | None:
    """``node1_policy``/``node2_policy`` of a ``ChannelEdge`` (``RoutingPolicy``); None when null or absent."""
    raw = object_field(edge, key)
    if raw is None:
        return None
    try:
        last_update_s = int_field(raw, "last_update", default=0, maximum=UINT32_MAX)
        return Policy(
            base_fee_msat=Msat(int_field(raw, "fee_base_msat", maximum=UINT32_MAX)),
            fee_rate_ppm=Ppm(int_field(raw, "fee_rate_milli_msat", maximum=UINT32_MAX)),
            time_lock_delta=int_field(raw, "time_lock_delta", maximum=0xFFFF),
            min_htlc_msat=Msat(int_field(raw, "min_htlc", default=0)),
            max_htlc_msat=Msat(int_field(raw, "max_htlc_msat", default=0)) or None,
            inbound_base_fee_msat=Msat(_int32(raw, "inbound_fee_base_msat")),
            inbound_fee_rate_ppm=Ppm(_int32(raw, "inbound_fee_rate_milli_msat")),
            disabled=bool_field(raw, "disabled", default=False),
            last_update_at=unix_time(last_update_s, "last_update") if last_update_s else None)
    except FieldError as exc:
        raise exc.within(key) from None


def edge_policies(edge: JsonObject, our_pubkey: str) -> tuple[int, str, Policy | None, Policy | None]:
    """A ``ChannelEdge`` seen from our node: ``(chan_id, chan_point, our policy, the peer's policy)``.

    ``node1_policy`` is the policy set by ``node1_pub``; ours is the side whose pubkey is ours.
    """
    ours, theirs = ("node1_policy", "node2_policy") if edge.get("node1_pub") == our_pubkey else (
        "node2_policy", "node1_policy")
    return (int_field(edge, "channel_id", minimum=1), str_field(edge, "chan_point", default=""),
            parse_routing_policy(edge, ours), parse_routing_policy(edge, theirs))


def local_policy(fee: FeeEntry | None, gossip: Policy | None) -> Policy | None:
    """The fee report's fees over the announced policy's CLTV delta, HTLC limits and disabled flag."""
    if fee is None:
        return gossip
    base = gossip or Policy(base_fee_msat=fee.base_fee_msat, fee_rate_ppm=fee.fee_rate_ppm)
    return replace(base, base_fee_msat=fee.base_fee_msat, fee_rate_ppm=fee.fee_rate_ppm,
                   inbound_base_fee_msat=fee.inbound_base_fee_msat, inbound_fee_rate_ppm=fee.inbound_fee_rate_ppm)


def parse_channel(record: JsonObject, ours: Policy | None, theirs: Policy | None) -> Channel:
    """One ``lnrpc.Channel`` of ``GET /v1/channels`` with the policies found for it.

    ``capacity``, ``local_balance`` and ``remote_balance`` are sat; the opener is unknown when
    ``initiator`` is absent (a hand-edited file; REST always sends it).
    """
    chan_id = int_field(record, "chan_id", minimum=1)
    capacity = int_field(record, "capacity", minimum=1, maximum=MAX_CAPACITY_SAT)
    local = int_field(record, "local_balance", maximum=capacity)
    remote = int_field(record, "remote_balance", maximum=capacity - local)
    chan_point = str_field(record, "channel_point", default="") or None
    initiator = bool_field(record, "initiator", default=False) if "initiator" in record else None
    return Channel(
        chan_id=chan_id, scid=ShortChannelId.from_chan_id(chan_id), chan_point=chan_point,
        peer_pubkey=pubkey_field(record, "remote_pubkey"),
        peer_alias=str_field(record, "peer_alias", default="") or None,
        capacity_sat=Sat(capacity), local_balance_sat=Sat(local), remote_balance_sat=Sat(remote),
        active=bool_field(record, "active", default=False), private=bool_field(record, "private", default=False),
        opener=Opener.UNKNOWN if initiator is None else Opener.LOCAL if initiator else Opener.REMOTE,
        local_policy=ours, remote_policy=theirs, pending_htlcs=_pending_htlcs(record),
        max_htlc_ceiling_msat=_max_htlc_ceiling(record, capacity))


def _max_htlc_ceiling(record: JsonObject, capacity_sat: int) -> Msat | None:
    """LND's limit on ``max_htlc_msat``: ``local_constraints.max_pending_amt_msat``, within the capacity."""
    constraints = object_field(record, "local_constraints")
    if constraints is None or "max_pending_amt_msat" not in constraints:
        return None
    try:
        pending_msat = int_field(constraints, "max_pending_amt_msat")
    except FieldError as exc:
        raise exc.within("local_constraints") from None
    return Msat(min(pending_msat, sat_to_msat(capacity_sat)))


def _pending_htlcs(record: JsonObject) -> tuple[PendingHtlc, ...]:
    htlcs: list[PendingHtlc] = []
    for index, raw in enumerate(list_field(record, "pending_htlcs")):
        try:
            htlc = as_record(raw, "htlc")
            direction = HtlcDirection.IN if bool_field(htlc, "incoming") else HtlcDirection.OUT
            htlcs.append(PendingHtlc(direction, sat_to_msat(int_field(htlc, "amount")),
                                     int_field(htlc, "expiration_height", maximum=UINT32_MAX)))
        except FieldError as exc:
            raise exc.within(f"pending_htlcs[{index}]") from None
    return tuple(htlcs)


def parse_forwarding_event(record: JsonObject) -> Forward:
    """One ``ForwardingEvent`` of ``POST /v1/switch`` (see ``parse_keyed_forwarding_event``)."""
    return parse_keyed_forwarding_event(record)[1]


def parse_keyed_forwarding_event(record: JsonObject) -> tuple[int, Forward]:
    """One ``ForwardingEvent`` and its key ``timestamp_ns`` (LND's own, unique per event).

    Amounts are the ``*_msat`` fields when present, else the sat ones (``amt_in``/``amt_out``,
    older exports) x 1000, at most 21M BTC; ``fee_msat``, when present, must equal
    ``amt_in_msat - amt_out_msat``; time is ``timestamp_ns``, else ``timestamp`` (whole seconds).
    """
    in_msat = _amount_msat(record, "amt_in_msat", "amt_in", maximum=sat_to_msat(MAX_CAPACITY_SAT))
    out_msat = _amount_msat(record, "amt_out_msat", "amt_out", maximum=in_msat)
    if "fee_msat" in record and int_field(record, "fee_msat") != in_msat - out_msat:
        raise FieldError("fee_msat", record["fee_msat"], f"amt_in_msat - amt_out_msat = {in_msat - out_msat}")
    if "timestamp_ns" in record:
        timestamp_ns = int_field(record, "timestamp_ns", minimum=1)
    else:
        timestamp_ns = int_field(record, "timestamp", minimum=1) * _NS_PER_S
    seconds, rest_ns = divmod(timestamp_ns, _NS_PER_S)
    resolved_at = unix_time(seconds, "timestamp_ns") + timedelta(microseconds=rest_ns // 1000)
    return timestamp_ns, Forward(
        in_chan_id=int_field(record, "chan_id_in", minimum=1), out_chan_id=int_field(record, "chan_id_out", minimum=1),
        amount_in_msat=Msat(in_msat), amount_out_msat=Msat(out_msat), fee_msat=Msat(in_msat - out_msat),
        resolved_at=resolved_at.astimezone(UTC))


def _amount_msat(record: JsonObject, msat_key: str, sat_key: str, *, maximum: int) -> int:
    if msat_key in record:
        return int_field(record, msat_key, maximum=maximum)
    return sat_to_msat(int_field(record, sat_key, maximum=maximum // 1000))


def pending_channels(document: JsonObject) -> list[tuple[str, str]]:
    """``GET /v1/channels/pending`` as ``(channel_point, state in words)`` pairs."""
    found: list[tuple[str, str]] = []
    for key, words in _PENDING_KINDS:
        for raw in list_field(document, key):
            if isinstance(raw, dict) and isinstance(raw.get("channel"), dict):
                found.append((str_field(raw["channel"], "channel_point", default="?"), words))
    return found


def to_unix_s(moment: datetime) -> int:
    """Whole Unix seconds of a UTC time (what ``/v1/switch`` takes as ``start_time``/``end_time``)."""
    return int(moment.timestamp())


def _int32(record: JsonObject, key: str) -> int:
    return int_field(record, key, default=0, minimum=INT32_MIN, maximum=INT32_MAX)
