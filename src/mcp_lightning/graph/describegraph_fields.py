"""Read the typed fields of one LND ``ChannelEdge`` record: a fast path and a careful one.

Well-formed records arrive as ``EdgeStruct`` (decoded and type-checked in C by msgspec) and are
read by ``_struct_edge`` with as few Python calls as possible: 50,000 edges and 97,000 policies
must become domain objects in a fraction of a second. Records that did not fit the struct arrive
as plain JSON and go to ``_careful_edge``, the reference reader, which accepts them or raises
``RecordError`` naming the field and value; a struct whose values are out of range (self-loop,
zero capacity, bad node id) is also handed to it, so every refusal is explained the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.graph.fast_build import new_policy, scid_of
from mcp_lightning.graph.ingest import (
    JsonRecord,
    RawChannel,
    RecordError,
    opt_int,
    req_bool,
    req_int,
    req_pubkey,
    req_record,
    scid_from_chan_id,
    scid_from_text,
    time_from_unix,
    valid_unix,
)
from mcp_lightning.units import UINT32_MAX, Msat, Ppm

MAX_CAPACITY_SAT = 21_000_000 * 100_000_000
_UINT64_LIMIT = 1 << 64
_PUBKEY = re.compile(r"0[23][0-9a-f]{64}").fullmatch
_from_unix = datetime.fromtimestamp

PolicyFields = tuple[Policy | None, int | None]
"""A policy and the unix time its staleness is judged by (its own, else the edge's; None if unknown)."""
_NO_POLICY: PolicyFields = (None, None)


class PolicyStruct(msgspec.Struct):
    """LND ``RoutingPolicy`` as decoded (LND field names; integers may arrive as strings)."""

    fee_base_msat: int
    fee_rate_milli_msat: int
    time_lock_delta: int
    min_htlc: int
    disabled: bool
    max_htlc_msat: int | None = None
    last_update: int | None = None
    inbound_fee_base_msat: int | None = None
    inbound_fee_rate_milli_msat: int | None = None


class EdgeStruct(msgspec.Struct):
    """LND ``ChannelEdge`` as decoded; ``x_scid`` is the derived 2025 file's extra."""

    channel_id: int
    node1_pub: str
    node2_pub: str
    capacity: int
    node1_policy: PolicyStruct | None = None
    node2_policy: PolicyStruct | None = None
    last_update: int | None = None
    x_scid: str | None = None


class _Unusual(Exception):
    """The fast path declines; the careful reader decides."""


def edge_fields(record: EdgeStruct | object, pubkeys: dict[str, str]) -> RawChannel:
    """Read one ``edges[]`` record, typed (``EdgeStruct``) or plain JSON, into a channel with node1 < node2.

    Absurd policy values are not judged here (the caller counts them); the update times are those
    the stale rule uses: the policy's own, else the edge's (LND before 0.7 had no policy time).

    Args:
        record: the record.
        pubkeys: node ids already validated in this file, each mapped to itself; shared across
            calls so that each id is checked once and every channel refers to one string object.

    Raises:
        RecordError: naming the field and value when the record is malformed (bad or missing
            channel_id, node id, capacity or policy field, self-loop, x_scid disagreeing).
    """
    if type(record) is EdgeStruct:
        try:
            return _struct_edge(record, pubkeys)
        except _Unusual:
            record = msgspec.to_builtins(record)
    return _careful_edge(record, pubkeys)


def _struct_edge(edge: EdgeStruct, pubkeys: dict[str, str]) -> RawChannel:
    chan_id, capacity = edge.channel_id, edge.capacity
    node1 = pubkeys.get(edge.node1_pub) or _new_pubkey(edge.node1_pub, pubkeys)
    node2 = pubkeys.get(edge.node2_pub) or _new_pubkey(edge.node2_pub, pubkeys)
    if not (0 < chan_id < _UINT64_LIMIT and 0 < capacity <= MAX_CAPACITY_SAT and node1 != node2):
        raise _Unusual
    x_scid = edge.x_scid
    if x_scid is not None and x_scid != f"{chan_id >> 40}x{(chan_id >> 16) & 0xFFFFFF}x{chan_id & 0xFFFF}":
        raise _Unusual
    fallback_s = edge.last_update
    if fallback_s is not None and not 0 < fallback_s <= UINT32_MAX:
        fallback_s = None
    policy1, policy2 = edge.node1_policy, edge.node2_policy
    return _oriented(chan_id, scid_of(chan_id), node1, node2, capacity,
                     _struct_policy(policy1, fallback_s) if policy1 is not None else _NO_POLICY,
                     _struct_policy(policy2, fallback_s) if policy2 is not None else _NO_POLICY)


def _oriented(chan_id: int, scid: ShortChannelId, node1: str, node2: str, capacity_sat: int,
              side1: PolicyFields, side2: PolicyFields) -> RawChannel:
    """LND orders node1 < node2; when a record does not, swap the nodes together with their policies."""
    if node1 < node2:
        return RawChannel(chan_id, scid, node1, node2, capacity_sat, side1[0], side2[0], side1[1], side2[1])
    return RawChannel(chan_id, scid, node2, node1, capacity_sat, side2[0], side1[0], side2[1], side1[1])


def _new_pubkey(value: str, pubkeys: dict[str, str]) -> str:
    if not _PUBKEY(value):
        raise _Unusual
    pubkeys[value] = value
    return value


def _struct_policy(policy: PolicyStruct, fallback_s: int | None) -> PolicyFields:
    own_s = policy.last_update
    known = own_s is not None and 0 < own_s <= UINT32_MAX
    # new_policy takes plain ints: Msat()/Ppm() are identity functions costing a call each.
    built = new_policy(policy.fee_base_msat, policy.fee_rate_milli_msat, policy.time_lock_delta, policy.min_htlc,
                       policy.max_htlc_msat or None, policy.inbound_fee_base_msat or 0,
                       policy.inbound_fee_rate_milli_msat or 0, policy.disabled,
                       _from_unix(own_s, UTC) if known else None)  # type: ignore[arg-type]
    return built, (own_s if known else fallback_s)


def _careful_edge(value: object, pubkeys: dict[str, str]) -> RawChannel:
    """The reference reader: accepts or explains."""
    edge = req_record(value, "edge")
    chan_id, scid = _channel_id(edge)
    node1 = pubkeys.setdefault(*(req_pubkey(edge, "node1_pub"),) * 2)
    node2 = pubkeys.setdefault(*(req_pubkey(edge, "node2_pub"),) * 2)
    if node1 == node2:
        raise RecordError("node2_pub", node2, "a node other than node1_pub (self-loop)")
    capacity_sat = req_int(edge, "capacity")
    if not 0 < capacity_sat <= MAX_CAPACITY_SAT:
        raise RecordError("capacity", capacity_sat, "a capacity between 1 sat and 21,000,000 BTC")
    fallback_s = valid_unix(opt_int(edge, "last_update"))
    return _oriented(chan_id, scid, node1, node2, capacity_sat,
                     _careful_policy(edge.get("node1_policy"), "node1_policy", fallback_s),
                     _careful_policy(edge.get("node2_policy"), "node2_policy", fallback_s))


def _channel_id(edge: JsonRecord) -> tuple[int, ShortChannelId]:
    x_scid = edge.get("x_scid")
    if edge.get("channel_id") is None and x_scid is not None:
        scid = scid_from_text(x_scid, "x_scid")
        return scid.chan_id, scid
    chan_id = req_int(edge, "channel_id")
    scid = scid_from_chan_id(chan_id, "channel_id")
    if x_scid is not None and x_scid != str(scid):
        raise RecordError("x_scid", x_scid, f"{scid}, the short channel id of channel_id {chan_id}")
    return chan_id, scid


def _careful_policy(value: object, name: str, fallback_s: int | None) -> PolicyFields:
    if value is None:
        return _NO_POLICY
    try:
        record = req_record(value, name)
        update_s = valid_unix(opt_int(record, "last_update"))
        max_htlc_msat = opt_int(record, "max_htlc_msat")
        policy = Policy(
            base_fee_msat=Msat(req_int(record, "fee_base_msat")),
            fee_rate_ppm=Ppm(req_int(record, "fee_rate_milli_msat")),
            time_lock_delta=req_int(record, "time_lock_delta"),
            min_htlc_msat=Msat(req_int(record, "min_htlc")),
            max_htlc_msat=Msat(max_htlc_msat) if max_htlc_msat else None,
            inbound_base_fee_msat=Msat(opt_int(record, "inbound_fee_base_msat") or 0),
            inbound_fee_rate_ppm=Ppm(opt_int(record, "inbound_fee_rate_milli_msat") or 0),
            disabled=req_bool(record, "disabled"),
            last_update_at=time_from_unix(update_s),
        )
    except RecordError as exc:
        raise (exc if exc.field_name == name else exc.within(name)) from None
    return policy, (update_s if update_s is not None else fallback_s)
