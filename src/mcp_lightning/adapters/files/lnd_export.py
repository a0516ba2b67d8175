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
defaults and the peer's policy is None. Each record is translated by ``adapters.lnd.rest_parse``,
the same functions the live LND adapter uses; LND's field names stay there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    field_problem,
    find_json_file,
    find_json_pages,
    int_field,
    read_json_object,
    records_of,
    require_json_file,
    str_field,
    unix_time,
)
from mcp_lightning.adapters.lnd.rest_parse import (
    FeeEntry,
    edge_policies,
    local_policy,
    parse_channel,
    parse_fee_entry,
    parse_getinfo,
    parse_keyed_forwarding_event,
)
from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.errors import InputFileError

GETINFO = "getinfo.json"
CHANNELS = "channels.json"
FEES = "fees.json"
FORWARDS_PREFIX = "forwards"
NODE_INFO = "node.json"

_Skips = list[SkippedRecord]
_Fees = dict[int | str, FeeEntry]  # by chan_id and by channel_point
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
    fees, fee_skips = _read_fee_report(require_json_file(folder, FEES, _REST.format("/v1/fees", FEES)))
    node_info = find_json_file(folder, NODE_INFO)
    edges, edge_skips = _read_node_edges(node_info, pubkey) if node_info else ({}, [])
    channels, channel_skips = _read_channels(
        require_json_file(folder, CHANNELS, _REST.format("/v1/channels", CHANNELS)), fees, edges)
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
        header_at = unix_time(header_s, "best_header_timestamp") if header_s else None
        identity = parse_getinfo(document)
    except FieldError as exc:
        hint = "export it again: " + _REST.format("/v1/getinfo", path.name)
        raise field_problem(path, exc, hint=hint) from exc
    return identity.pubkey, identity.alias, identity.block_height, header_at


def _read_fee_report(path: Path) -> tuple[_Fees, list[SkippedRecord]]:
    """Our fees per channel, keyed by chan_id and by channel_point (older LND has no chan_id)."""
    fees: _Fees = {}
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, read_json_object(path), "channel_fees")):
        try:
            chan_id, chan_point, entry = parse_fee_entry(as_record(raw, f"channel_fees[{index}]"))
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), _item(raw, index, "chan_id", "channel_fees"), str(exc)))
            continue
        fees.update((key, entry) for key in (chan_id, chan_point) if key)
    return fees, skipped


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
            chan_id, chan_point, ours, theirs = edge_policies(as_record(raw, f"channels[{index}]"), pubkey)
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), _item(raw, index, "channel_id", "channels"), str(exc)))
            continue
        edges.update((key, (ours, theirs)) for key in (chan_id, chan_point) if key)
    return edges, skipped


def _read_channels(path: Path, fees: _Fees, edges: _Edges) -> tuple[list[Channel], _Skips]:
    channels: list[Channel] = []
    skipped: list[SkippedRecord] = []
    seen: set[int] = set()
    for index, raw in enumerate(records_of(path, read_json_object(path), "channels")):
        try:
            channel = _parse_channel(as_record(raw, f"channels[{index}]"), fees, edges)
            if channel.chan_id in seen:
                raise FieldError("chan_id", str(channel.chan_id), "a channel listed only once")
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), _item(raw, index, "chan_id", "channels"), str(exc)))
            continue
        seen.add(channel.chan_id)
        channels.append(channel)
    return channels, skipped


def _parse_channel(record: JsonObject, fees: _Fees, edges: _Edges) -> Channel:
    """``parse_channel`` with the fee report's fees and the gossip policies looked up by chan_id or point."""
    keys = (int_field(record, "chan_id", minimum=1), str_field(record, "channel_point", default=""))
    fee = next((fees[key] for key in keys if key in fees), None)
    gossip_ours, gossip_theirs = next((edges[key] for key in keys if key in edges), (None, None))
    return parse_channel(record, local_policy(fee, gossip_ours), gossip_theirs)


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
                key, forward = parse_keyed_forwarding_event(as_record(raw, f"forwarding_events[{index}]"))
                if key in forwards:
                    raise FieldError("timestamp_ns", str(key), "an event not already read from another page")
            except FieldError as exc:
                skipped.append(SkippedRecord(str(page), f"forwarding_events[{index}]", str(exc)))
                continue
            forwards[key] = forward
    return sorted(forwards.values(), key=lambda forward: forward.resolved_at), skipped
