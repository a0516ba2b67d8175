"""A Core Lightning export folder read into a ``NodeSnapshot``.

The folder holds ``lightning-cli`` JSON output, one file per command, plain or ``.gz``/``.xz``/``.zip``:
``getinfo.json`` and ``listpeerchannels.json`` (required); ``listforwards.json`` (preferred) or
``bkpr-listaccountevents.json`` (forwards rebuilt from bookkeeper ``routed`` events), one required;
``listclosedchannels.json`` and ``listfunds.json`` (optional: map bookkeeper accounts of channels no
longer open to their short channel id). Records are translated by ``adapters.cln.parse`` (the
functions the live Core Lightning adapter uses) and bookkeeper events by ``cln_bookkeeper``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mcp_lightning.adapters.cln.parse import OPEN_STATES, parse_forward, parse_peer_channel
from mcp_lightning.adapters.files.cln_bookkeeper import note_account, pair_routed_events
from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    field_problem,
    find_json_file,
    int_field,
    list_field,
    pubkey_field,
    read_json_object,
    records_of,
    require_json_file,
    str_field,
    timestamp_field,
)
from mcp_lightning.domain.channel import Channel
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.errors import InputFileError
from mcp_lightning.units import UINT32_MAX

GETINFO = "getinfo.json"
PEER_CHANNELS = "listpeerchannels.json"
LISTFORWARDS = "listforwards.json"
BKPR_EVENTS = "bkpr-listaccountevents.json"
ACCOUNT_MAPS = ("listclosedchannels.json", "listfunds.json")

_OPENING_STATES = frozenset({"OPENINGD", "CHANNELD_AWAITING_LOCKIN", "DUALOPEND_OPEN_INIT",
                             "DUALOPEND_AWAITING_LOCKIN", "DUALOPEND_OPEN_COMMITTED",
                             "DUALOPEND_OPEN_COMMIT_READY"})
_CLI = "lightning-cli {0} > {0}.json"


@dataclass
class _PeerChannels:
    """What ``listpeerchannels`` yields: open channels, account -> chan_id, skips, newest timestamp."""

    channels: list[Channel] = field(default_factory=list)
    accounts: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedRecord] = field(default_factory=list)
    newest_at: datetime | None = None


def is_cln_export(folder: Path) -> bool:
    """True when ``folder`` holds a ``listpeerchannels.json`` (plain or compressed)."""
    return find_json_file(folder, PEER_CHANNELS) is not None


def load_cln_export(folder: Path) -> NodeSnapshot:
    """Read a Core Lightning export folder.

    Args:
        folder: the export folder (files in the module docstring).

    Returns:
        A snapshot with the open channels (``CHANNELD_NORMAL``/``CHANNELD_AWAITING_SPLICE``), settled
        forwards oldest first, ``taken_at`` = the newest forward, state change or
        ``last_stable_connection`` (UTC), and every left-out record in ``skipped``.

    Raises:
        InputFileError: a required file is missing, unreadable or malformed, or ``getinfo`` is bad.

    Source: ``getinfo``, ``listpeerchannels``, ``listforwards`` or ``bkpr-listaccountevents``,
    ``listclosedchannels``, ``listfunds`` (Core Lightning JSON-RPC schemas, v23.08+).
    """
    pubkey, alias, block_height = _read_getinfo(require_json_file(folder, GETINFO, _CLI.format("getinfo")))
    peer = _read_peer_channels(require_json_file(folder, PEER_CHANNELS, _CLI.format("listpeerchannels")))
    forwards, forward_skips = _read_forwards(folder, peer.accounts)
    stamps = [t for t in (peer.newest_at, forwards[-1].resolved_at if forwards else None) if t]
    if not stamps:
        no_time = FieldError("state_changes", None, "a timestamp", missing=True)
        raise field_problem(folder / PEER_CHANNELS, no_time, hint="export a node with channels or forwards")
    return NodeSnapshot(
        pubkey=pubkey, alias=alias, implementation="cln", block_height=block_height, taken_at=max(stamps),
        channels=tuple(peer.channels), forwards=tuple(forwards), source=str(folder),
        skipped=(*peer.skipped, *forward_skips))


def _read_getinfo(path: Path) -> tuple[str, str, int]:
    document = read_json_object(path)
    try:
        return (pubkey_field(document, "id"), str_field(document, "alias", default=""),
                int_field(document, "blockheight", maximum=UINT32_MAX))
    except FieldError as exc:
        raise field_problem(path, exc, hint=f"export it again with `{_CLI.format('getinfo')}`") from exc


def _read_peer_channels(path: Path) -> _PeerChannels:
    result, seen = _PeerChannels(), set()
    for index, raw in enumerate(records_of(path, read_json_object(path), "channels")):
        item = _channel_item(raw, index)
        try:
            record = as_record(raw, f"channels[{index}]")
            note_account(record, result.accounts)
            result.newest_at = max(filter(None, (result.newest_at, _channel_newest_at(record))), default=None)
            state = str_field(record, "state")
            if state not in OPEN_STATES:
                kind = "not yet open" if state in _OPENING_STATES else "closed"
                result.skipped.append(SkippedRecord(str(path), item, f"{kind} (state {state})"))
                continue
            channel = parse_peer_channel(record)
            if channel.chan_id in seen:
                raise FieldError("short_channel_id", str(channel.scid), "a channel listed only once")
        except FieldError as exc:
            result.skipped.append(SkippedRecord(str(path), item, str(exc)))
            continue
        seen.add(channel.chan_id)
        result.channels.append(channel)
    return result


def _channel_item(raw: object, index: int) -> str:
    if isinstance(raw, dict):
        for key in ("short_channel_id", "channel_id"):
            if isinstance(raw.get(key), str):
                return f"channel {raw[key]}"
    return f"channels[{index}]"


def _channel_newest_at(record: JsonObject) -> datetime | None:
    times = [timestamp_field(record, "last_stable_connection")] if "last_stable_connection" in record else []
    for change in list_field(record, "state_changes"):
        if isinstance(change, dict) and isinstance(change.get("timestamp"), str):
            try:
                at = datetime.fromisoformat(change["timestamp"])
            except ValueError as exc:
                raise FieldError("state_changes.timestamp", change["timestamp"], "an ISO 8601 time") from exc
            times.append(at if at.tzinfo else at.replace(tzinfo=UTC))  # Core Lightning writes UTC ("...Z")
    return max(times, default=None)


def _read_forwards(folder: Path, accounts: dict[str, int]) -> tuple[list[Forward], list[SkippedRecord]]:
    """Settled forwards from ``listforwards`` when present, else from bookkeeper ``routed`` events."""
    listforwards = find_json_file(folder, LISTFORWARDS)
    if listforwards is not None:
        return _read_listforwards(listforwards)
    events = find_json_file(folder, BKPR_EVENTS)
    if events is None:
        raise InputFileError(
            str(folder / LISTFORWARDS), f"not found, nor {BKPR_EVENTS} (each also looked for as .gz, .xz "
            "and .zip); one of them is needed for the forwarding history",
            hint=f"create it with `{_CLI.format('listforwards')}`")
    skipped: list[SkippedRecord] = []
    for path in filter(None, (find_json_file(folder, name) for name in ACCOUNT_MAPS)):
        document = read_json_object(path)
        key = "closedchannels" if "closedchannels" in document else "channels"
        for index, raw in enumerate(records_of(path, document, key)):
            try:
                note_account(as_record(raw, f"{key}[{index}]"), accounts)
            except FieldError as exc:
                skipped.append(SkippedRecord(str(path), _channel_item(raw, index), str(exc)))
    forwards, pair_skips = pair_routed_events(events, accounts)
    return forwards, skipped + pair_skips


def _read_listforwards(path: Path) -> tuple[list[Forward], list[SkippedRecord]]:
    forwards: list[Forward] = []
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, read_json_object(path), "forwards")):
        try:
            record = as_record(raw, f"forwards[{index}]")
            if record.get("status") == "settled":
                forwards.append(parse_forward(record))
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), f"forwards[{index}]", str(exc)))
    forwards.sort(key=lambda forward: forward.resolved_at)
    return forwards, skipped
