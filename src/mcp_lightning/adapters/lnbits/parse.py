"""LNbits ``NodeChannel`` records turned into domain channels; LNbits' field names stay here.

``balance.*_msat`` are msat; ``fee_ppm`` is ppm; ``short_id`` is LND's uint64 chan_id as text
(LND backend) or ``BLOCKxTXxOUT`` (Core Lightning backend); ``id`` is what the channel URLs take.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    int_field,
    object_field,
    pubkey_field,
    str_field,
)
from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.units import UINT32_MAX, Msat, Ppm, Sat, msat_to_sat

OPEN_STATES = frozenset({"active", "inactive"})


@dataclass(frozen=True, slots=True)
class ParsedChannel:
    """A channel as LNbits lists it: the domain value, LNbits' own id, or why it was left out."""

    channel: Channel | None
    lnbits_id: str
    skip_reason: str | None = None


def chan_id_of(text: str) -> int:
    """The uint64 chan_id of ``"1016034506059743233"`` or ``"924078x1339x1"``.

    Raises:
        FieldError: neither form.
    """
    try:
        return int(text) if text.isdigit() else ShortChannelId.parse(text).chan_id
    except ValueError as exc:
        raise FieldError("short_id", text, "a chan_id or a short channel id BLOCKxTXxOUT") from exc


def _fees(record: JsonObject) -> Policy | None:
    if record.get("fee_ppm") is None or record.get("fee_base_msat") is None:
        return None
    return Policy(base_fee_msat=Msat(int_field(record, "fee_base_msat", maximum=UINT32_MAX)),
                  fee_rate_ppm=Ppm(int_field(record, "fee_ppm", maximum=UINT32_MAX)))


def parse_node_channel(raw: object, item: str) -> ParsedChannel:
    """One ``NodeChannel``; channels that are pending or closed come back with a ``skip_reason``.

    Raises:
        FieldError: a field is missing or malformed.
    """
    record = as_record(raw, item)
    state = str_field(record, "state")
    short_id = record.get("short_id") or record.get("id")
    balance = object_field(record, "balance") or {}
    total = int_field(balance, "total_msat", minimum=1000)
    local = int_field(balance, "local_msat", maximum=total)
    point = object_field(record, "point")
    chan_point = f"{str_field(point, 'funding_txid')}:{int_field(point, 'output_index')}" if point else None
    if state not in OPEN_STATES or not isinstance(short_id, str):
        return ParsedChannel(None, "", f"not open (state {state})")
    chan_id = chan_id_of(short_id)
    capacity_sat, local_sat = msat_to_sat(total), msat_to_sat(local)
    channel = Channel(
        chan_id=chan_id, scid=ShortChannelId.from_chan_id(chan_id), chan_point=chan_point,
        peer_pubkey=pubkey_field(record, "peer_id"), peer_alias=str_field(record, "name", default="") or None,
        capacity_sat=capacity_sat, local_balance_sat=local_sat, remote_balance_sat=Sat(capacity_sat - local_sat),
        active=state == "active", private=False, opener=Opener.UNKNOWN, local_policy=_fees(record),
        remote_policy=None)
    return ParsedChannel(channel, str(record.get("id") or short_id))
