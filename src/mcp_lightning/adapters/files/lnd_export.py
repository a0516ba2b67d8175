"""An LND export folder read into a ``NodeSnapshot``.

The folder holds LND REST responses, one file per call, each plain or ``.gz``/``.xz``/``.zip``:

* ``getinfo.json`` — ``GET /v1/getinfo``: ``identity_pubkey``, ``alias``, ``block_height``;
* ``channels.json`` — ``GET /v1/channels``: channels, balances (sat), pending HTLCs;
* ``fees.json`` — ``GET /v1/fees``: our fees (``fee_per_mil`` is ppm, plus inbound fees);
* ``forwards*.json`` — ``POST /v1/switch`` responses: settled forwards, one or several pages;
* ``node.json`` (optional) — ``GET /v1/graph/node/{our pubkey}?include_channels=true``: both
  directions' gossip policies of our public channels (CLTV delta, HTLC limits, disabled flag).

REST encodes int64/uint64 as strings; numbers are accepted too. Fees come from the fee report (what
the node enforces); without ``node.json`` the CLTV delta and HTLC limits keep the ``Policy``
defaults and the peer's policy is None. LND field names (``capacity``, ``fee_per_mil``,
``fee_rate_milli_msat``, ``amt_in_msat``...) stay in this module.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    bool_field,
    field_problem,
    find_json_file,
    find_json_pages,
    int_field,
    list_field,
    object_field,
    pubkey_field,
    read_json_object,
    records_of,
    require_json_file,
    str_field,
    unix_time,
)
from mcp_lightning.domain.channel import Channel, HtlcDirection, Opener, PendingHtlc, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.errors import InputFileError
from mcp_lightning.units import UINT32_MAX, Msat, Ppm, Sat, sat_to_msat

GETINFO = "getinfo.json"
CHANNELS = "channels.json"
FEES = "fees.json"
FORWARDS_PREFIX = "forwards"
NODE_INFO = "node.json"

MAX_CAPACITY_SAT = 21_000_000 * 100_000_000
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_NS_PER_S = 1_000_000_000
_Skips = list[SkippedRecord]
_Policies = dict[int | str, Policy]  # by chan_id and by channel_point
_Edges = dict[int | str, tuple[Policy | None, Policy | None]]  # (ours, the peer's), keyed the same way
_REST = "curl --cacert tls.cert -H 'Grpc-Metadata-macaroon: <hex>' https://127.0.0.1:8080{} > {}"


def is_lnd_export(folder: Path) -> bool:
    """True when ``folder`` holds a ``channels.json`` (plain or compressed)."""
    return find_json_file(folder, CHANNELS) is not None


def load_lnd_export(folder: Path) -> NodeSnapshot:
    """Read an LND export folder.

    Args:
        folder: the export folder (see the module docstring for its files).

    Returns:
        A snapshot with the open channels (each with our policy from the fee report), the settled
        forwards oldest first, ``taken_at`` = the newer of the newest forward and
        ``best_header_timestamp``, and every left-out record in ``skipped``.

    Raises:
        InputFileError: a required file is missing, unreadable or malformed, or ``getinfo`` is bad.

    Source: LND REST ``GetInfoResponse``, ``ListChannelsResponse``/``Channel``,
    ``FeeReportResponse``/``ChannelFeeReport``, ``ForwardingHistoryResponse``/``ForwardingEvent``.
    """
    pubkey, alias, block_height, header_at = _read_getinfo(
        require_json_file(folder, GETINFO, _REST.format("/v1/getinfo", GETINFO)))
    policies, fee_skips = _read_fee_report(require_json_file(folder, FEES, _REST.format("/v1/fees", FEES)))
    node_info = find_json_file(folder, NODE_INFO)
    edges, edge_skips = _read_node_edges(node_info, pubkey) if node_info else ({}, [])
    channels, channel_skips = _read_channels(
        require_json_file(folder, CHANNELS, _REST.format("/v1/channels", CHANNELS)), policies, edges)
    forwards, forward_skips = _read_forwards(folder)
    stamps = [t for t in (header_at, forwards[-1].resolved_at if forwards else None) if t is not None]
    if not stamps:
        raise InputFileError(str(folder / GETINFO), "field 'best_header_timestamp' is 0 and there are no "
                             "forwards to date the snapshot", hint="export getinfo.json from a synced node")
    return NodeSnapshot(
        pubkey=pubkey, alias=alias, implementation="lnd", block_height=block_height, taken_at=max(stamps),
        channels=tuple(channels), forwards=tuple(forwards), source=str(folder),
        skipped=(*fee_skips, *edge_skips, *channel_skips, *forward_skips))


def _read_getinfo(path: Path) -> tuple[str, str, int, datetime | None]:
    document = read_json_object(path)
    try:
        header_s = int_field(document, "best_header_timestamp", default=0, maximum=253_402_300_799)
        return (pubkey_field(document, "identity_pubkey"), str_field(document, "alias", default=""),
                int_field(document, "block_height", maximum=UINT32_MAX),
                unix_time(header_s, "best_header_timestamp") if header_s else None)
    except FieldError as exc:
        hint = "export it again: " + _REST.format("/v1/getinfo", path.name)
        raise field_problem(path, exc, hint=hint) from exc


def _read_fee_report(path: Path) -> tuple[_Policies, list[SkippedRecord]]:
    """Our policy per channel, keyed by chan_id and by channel_point (older LND has no chan_id)."""
    policies: _Policies = {}
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, read_json_object(path), "channel_fees")):
        item = _item(raw, index, "chan_id", "channel_fees")
        try:
            record = as_record(raw, f"channel_fees[{index}]")
            keys = (int_field(record, "chan_id", default=0), str_field(record, "channel_point", default=""))
            policy = _parse_fee(record)
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), item, str(exc)))
            continue
        policies.update((key, policy) for key in keys if key)
    return policies, skipped


def _parse_fee(record: JsonObject) -> Policy:
    return Policy(
        base_fee_msat=Msat(int_field(record, "base_fee_msat", maximum=UINT32_MAX)),
        fee_rate_ppm=Ppm(int_field(record, "fee_per_mil", maximum=UINT32_MAX)),
        inbound_base_fee_msat=Msat(_int32(record, "inbound_base_fee_msat")),
        inbound_fee_rate_ppm=Ppm(_int32(record, "inbound_fee_per_mil")))


def _item(raw: object, index: int, key: str, list_name: str) -> str:
    if isinstance(raw, dict) and isinstance(raw.get(key), str | int):
        return f"channel {raw[key]}"
    return f"{list_name}[{index}]"


def _read_node_edges(path: Path, pubkey: str) -> tuple[_Edges, list[SkippedRecord]]:
    """Our and the peer's gossip policy per public channel, from ``NodeInfo.channels[]``.

    Raises:
        InputFileError: the file describes another node than ``getinfo``'s.
    """
    document = read_json_object(path)
    node = document.get("node")
    if isinstance(node, dict) and node.get("pub_key") not in (None, pubkey):
        raise InputFileError(str(path), f"field 'node.pub_key' has value {node.get('pub_key')!r}, expected "
                             f"our identity_pubkey {pubkey}", hint=f"export GET /v1/graph/node/{pubkey}")
    edges: _Edges = {}
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, document, "channels")):
        try:
            edge = as_record(raw, f"channels[{index}]")
            ours, theirs = ("node1_policy", "node2_policy") if edge.get("node1_pub") == pubkey else (
                "node2_policy", "node1_policy")
            policies = (_routing_policy(edge, ours), _routing_policy(edge, theirs))
            keys = (int_field(edge, "channel_id", minimum=1), str_field(edge, "chan_point", default=""))
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), _item(raw, index, "channel_id", "channels"), str(exc)))
            continue
        edges.update((key, policies) for key in keys if key)
    return edges, skipped


def _routing_policy(edge: JsonObject, key: str) -> Policy | None:
    """One ``RoutingPolicy`` (``fee_rate_milli_msat`` is ppm, ``min_htlc`` msat); None when absent."""
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


def _int32(record: JsonObject, key: str) -> int:
    return int_field(record, key, default=0, minimum=_INT32_MIN, maximum=_INT32_MAX)


def _local_policy(fee: Policy | None, gossip: Policy | None) -> Policy | None:
    """The fee report's fees over the gossip policy's CLTV delta, HTLC limits and disabled flag."""
    if fee is None or gossip is None:
        return fee or gossip
    return replace(gossip, base_fee_msat=fee.base_fee_msat, fee_rate_ppm=fee.fee_rate_ppm,
                   inbound_base_fee_msat=fee.inbound_base_fee_msat,
                   inbound_fee_rate_ppm=fee.inbound_fee_rate_ppm)


def _read_channels(path: Path, policies: _Policies, edges: _Edges) -> tuple[list[Channel], _Skips]:
    channels: list[Channel] = []
    skipped: list[SkippedRecord] = []
    seen: set[int] = set()
    for index, raw in enumerate(records_of(path, read_json_object(path), "channels")):
        try:
            channel = _parse_channel(as_record(raw, f"channels[{index}]"), policies, edges)
            if channel.chan_id in seen:
                raise FieldError("chan_id", str(channel.chan_id), "a channel listed only once")
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), _item(raw, index, "chan_id", "channels"), str(exc)))
            continue
        seen.add(channel.chan_id)
        channels.append(channel)
    return channels, skipped


def _parse_channel(record: JsonObject, policies: _Policies, edges: _Edges) -> Channel:
    chan_id = int_field(record, "chan_id", minimum=1)
    capacity = int_field(record, "capacity", minimum=1, maximum=MAX_CAPACITY_SAT)
    local = int_field(record, "local_balance", maximum=capacity)
    remote = int_field(record, "remote_balance", maximum=capacity - local)
    chan_point = str_field(record, "channel_point", default="") or None
    initiator = bool_field(record, "initiator", default=False) if "initiator" in record else None
    fee = policies.get(chan_id) or policies.get(chan_point or "")
    gossip_ours, gossip_theirs = edges.get(chan_id) or edges.get(chan_point or "") or (None, None)
    return Channel(
        chan_id=chan_id, scid=ShortChannelId.from_chan_id(chan_id), chan_point=chan_point,
        peer_pubkey=pubkey_field(record, "remote_pubkey"),
        peer_alias=str_field(record, "peer_alias", default="") or None,
        capacity_sat=Sat(capacity), local_balance_sat=Sat(local), remote_balance_sat=Sat(remote),
        active=bool_field(record, "active", default=False),
        private=bool_field(record, "private", default=False),
        opener=Opener.UNKNOWN if initiator is None else Opener.LOCAL if initiator else Opener.REMOTE,
        local_policy=_local_policy(fee, gossip_ours), remote_policy=gossip_theirs,
        pending_htlcs=_pending_htlcs(record))


def _pending_htlcs(record: JsonObject) -> tuple[PendingHtlc, ...]:
    htlcs: list[PendingHtlc] = []
    for index, raw in enumerate(list_field(record, "pending_htlcs")):
        try:
            htlc = as_record(raw, "htlc")
            direction = HtlcDirection.IN if bool_field(htlc, "incoming") else HtlcDirection.OUT
            amount_msat = sat_to_msat(int_field(htlc, "amount"))
            expiry = int_field(htlc, "expiration_height", maximum=UINT32_MAX)
            htlcs.append(PendingHtlc(direction, amount_msat, expiry))
        except FieldError as exc:
            raise exc.within(f"pending_htlcs[{index}]") from None
    return tuple(htlcs)


def _read_forwards(folder: Path) -> tuple[list[Forward], list[SkippedRecord]]:
    """Every page ``forwards*.json``; an event seen twice (same ``timestamp_ns``, LND's key) counts once."""
    pages = find_json_pages(folder, FORWARDS_PREFIX)
    if not pages:
        raise InputFileError(
            str(folder / "forwards.json"), "not found (looked for forwards*.json[.gz|.xz|.zip])",
            hint="save the response of POST /v1/switch {\"start_time\": \"0\", \"num_max_events\": 50000} "
                 "as forwards.json (an empty forwarding_events list is fine)")
    forwards: dict[int, Forward] = {}
    skipped: list[SkippedRecord] = []
    for page in pages:
        for index, raw in enumerate(records_of(page, read_json_object(page), "forwarding_events")):
            try:
                key, forward = _parse_event(as_record(raw, f"forwarding_events[{index}]"))
                if key in forwards:
                    raise FieldError("timestamp_ns", str(key), "an event not already read from another page")
            except FieldError as exc:
                skipped.append(SkippedRecord(str(page), f"forwarding_events[{index}]", str(exc)))
                continue
            forwards[key] = forward
    return sorted(forwards.values(), key=lambda forward: forward.resolved_at), skipped


def _parse_event(record: JsonObject) -> tuple[int, Forward]:
    """One ``ForwardingEvent``: msat fields when present, else the sat ones x 1000; key = ``timestamp_ns``."""
    in_msat = _amount_msat(record, "amt_in_msat", "amt_in", maximum=None)
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
        in_chan_id=int_field(record, "chan_id_in", minimum=1),
        out_chan_id=int_field(record, "chan_id_out", minimum=1),
        amount_in_msat=Msat(in_msat), amount_out_msat=Msat(out_msat), fee_msat=Msat(in_msat - out_msat),
        resolved_at=resolved_at.astimezone(UTC))


def _amount_msat(record: JsonObject, msat_key: str, sat_key: str, *, maximum: int | None) -> int:
    limit = sat_to_msat(MAX_CAPACITY_SAT) if maximum is None else maximum
    if msat_key in record:
        return int_field(record, msat_key, maximum=limit)
    return sat_to_msat(int_field(record, sat_key, maximum=limit // 1000))
