"""Parse Core Lightning ``listchannels`` (+ optional ``listnodes``) JSON into raw channels.

``listchannels`` gives one record per direction ("half-channel"): the policy set by ``source`` for
forwarding to ``destination``. The two halves of a short channel id are merged into one channel
whose node1 is the lexicographically smaller node id, as LND orders them. Field translation:

========================  ==================  ==============================================
Core Lightning field      our field           unit
========================  ==================  ==============================================
``short_channel_id``      ``scid``            ``BLOCKxTXxOUT``
``amount_msat``           ``capacity_sat``    msat -> sat (int, or ``"123msat"`` before v23)
``satoshis``              ``capacity_sat``    sat (before v0.12, when ``amount_msat`` is absent)
``base_fee_millisatoshi`` ``base_fee_msat``   msat
``fee_per_millionth``     ``fee_rate_ppm``    ppm
``delay``                 ``time_lock_delta`` blocks
``htlc_minimum_msat``     ``min_htlc_msat``   msat; absent in 2019 files -> Policy's default
``htlc_maximum_msat``     ``max_htlc_msat``   msat; absent -> None
``active``                ``disabled``        negated
``last_update``           ``last_update_at``  unix seconds -> UTC
========================  ==================  ==============================================

Source: Core Lightning ``doc/schemas/listchannels.json`` and ``listnodes.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import GraphNode
from mcp_lightning.errors import InputFileError
from mcp_lightning.graph.ingest import (
    IngestTally,
    ParsedGraph,
    RawChannel,
    RecordError,
    opt_int,
    opt_msat,
    req_bool,
    req_int,
    req_pubkey,
    req_record,
    scid_from_text,
    time_from_unix,
    valid_unix,
)
from mcp_lightning.graph.ingest_limits import IngestLimits
from mcp_lightning.graph.json_file import RawJson, decode_any
from mcp_lightning.units import MSAT_PER_SAT, Msat, Ppm

FORMAT = "cln-listchannels"
MAX_CAPACITY_SAT = 21_000_000 * 100_000_000
_POLICY_NAMES = {
    "fee_rate_ppm": "fee_per_millionth",
    "base_fee_msat": "base_fee_millisatoshi",
    "time_lock_delta": "delay",
    "min_htlc_msat": "htlc_minimum_msat",
    "max_htlc_msat": "htlc_maximum_msat",
}
_HINT = "give the JSON printed by `lightning-cli listchannels` (and `lightning-cli listnodes` for aliases)"


@dataclass(frozen=True, slots=True)
class _Half:
    scid: ShortChannelId
    source: str
    destination: str
    capacity_sat: int
    policy: Policy
    update_s: int | None


def parse_listchannels(top: Mapping[str, RawJson], *, source: str, limits: IngestLimits,
                       nodes_top: Mapping[str, RawJson] | None = None, nodes_source: str = "") -> ParsedGraph:
    """Parse ``listchannels`` output, merging half-channels; malformed records are skipped and counted.

    Args:
        top: the ``listchannels`` object's keys with their undecoded values.
        source: its file name, for error messages.
        limits: what counts as absurd.
        nodes_top: the ``listnodes`` object's keys and values, for aliases; None when not given.
        nodes_source: its file name, for error messages.

    Returns:
        The raw channels, nodes and tally, for ``assemble``. ``n_records`` counts half-channels.

    Raises:
        InputFileError: when ``channels`` (or the nodes file's ``nodes``) is not a list.
    """
    records = decode_any(top["channels"], source) if "channels" in top else None
    if not isinstance(records, list):
        raise InputFileError(source, f"field 'channels' is {type(records).__name__}, expected a list",
                             hint=_HINT)
    tally = IngestTally(limits)
    nodes = _parse_nodes(nodes_top, nodes_source, tally) if nodes_top is not None else {}
    groups: dict[int, dict[str, _Half]] = {}
    for index, record in enumerate(records):
        tally.n_records += 1
        try:
            half = _parse_half(record)
        except RecordError as exc:
            tally.skip(_item(record, index), str(exc))
            continue
        if half is None:
            tally.skip(_item(record, index), "field 'public' is false: a private channel is not in the public graph")
            continue
        problem = _merge_problem(groups.setdefault(half.scid.chan_id, {}), half)
        if problem:
            tally.skip(f"channel {half.scid} from {half.source[:16]}", problem)
            continue
        groups[half.scid.chan_id][half.source] = half
    parsed = ParsedGraph(FORMAT, nodes, [], tally, record_noun="half-channel")
    parsed.channels.extend(_merged(halves, tally) for halves in groups.values() if halves)
    return parsed


def _parse_half(value: object) -> _Half | None:
    """One half-channel; None when it is not public."""
    record = req_record(value, "channel")
    if record.get("public") is False:
        return None
    scid = scid_from_text(record.get("short_channel_id"), "short_channel_id")
    source = req_pubkey(record, "source")
    destination = req_pubkey(record, "destination")
    if source == destination:
        raise RecordError("destination", destination, "a node other than source (self-loop)")
    direction = opt_int(record, "direction")
    if direction is not None and direction != int(source > destination):
        raise RecordError("direction", direction, f"{int(source > destination)} (0 when source < destination)")
    amount_msat = opt_msat(record, "amount_msat")
    capacity_sat = amount_msat // MSAT_PER_SAT if amount_msat is not None else req_int(record, "satoshis")
    if not 0 < capacity_sat <= MAX_CAPACITY_SAT:
        raise RecordError("amount_msat", record.get("amount_msat", capacity_sat),
                          "a capacity between 1 sat and 21,000,000 BTC")
    update_s = valid_unix(req_int(record, "last_update"))
    min_htlc_msat = opt_msat(record, "htlc_minimum_msat")
    max_htlc_msat = opt_msat(record, "htlc_maximum_msat")
    policy = Policy(
        base_fee_msat=Msat(req_int(record, "base_fee_millisatoshi")),
        fee_rate_ppm=Ppm(req_int(record, "fee_per_millionth")),
        time_lock_delta=req_int(record, "delay"),
        max_htlc_msat=Msat(max_htlc_msat) if max_htlc_msat is not None else None,
        disabled=not req_bool(record, "active"),
        last_update_at=time_from_unix(update_s),
    )
    if min_htlc_msat is not None:
        policy = replace(policy, min_htlc_msat=Msat(min_htlc_msat))
    return _Half(scid, source, destination, capacity_sat, policy, update_s)


def _merge_problem(halves: dict[str, _Half], half: _Half) -> str | None:
    """Why ``half`` cannot join the halves already seen for its scid; None when it can."""
    if half.source in halves:
        return "duplicate half-channel for this direction (kept the first record)"
    for other in halves.values():
        if (other.source, other.destination) != (half.destination, half.source):
            return f"endpoints differ from the other half ({other.source[:16]} -> {other.destination[:16]})"
        if other.capacity_sat != half.capacity_sat:
            return f"capacity {half.capacity_sat} sat differs from the other half's {other.capacity_sat} sat"
    return None


def _merged(halves: dict[str, _Half], tally: IngestTally) -> RawChannel:
    first = next(iter(halves.values()))
    node1, node2 = sorted((first.source, first.destination))
    sides: list[tuple[Policy | None, int | None]] = []
    for node, name in ((node1, "node1"), (node2, "node2")):
        half = halves.get(node)
        if half is None:
            tally.n_policies_null += 1
            sides.append((None, None))
        else:
            policy = tally.checked_policy(half.policy, _POLICY_NAMES, "channel", half.scid, name,
                                          f"(source {node[:16]})")
            sides.append((policy, half.update_s))
    return RawChannel(first.scid.chan_id, first.scid, node1, node2, first.capacity_sat,
                      sides[0][0], sides[1][0], sides[0][1], sides[1][1])


def _parse_nodes(top: Mapping[str, RawJson], source: str, tally: IngestTally) -> dict[str, GraphNode]:
    records = decode_any(top["nodes"], source) if "nodes" in top else None
    if not isinstance(records, list):
        raise InputFileError(source, f"field 'nodes' is {type(records).__name__}, expected a list", hint=_HINT)
    nodes: dict[str, GraphNode] = {}
    for index, value in enumerate(records):
        try:
            record = req_record(value, f"nodes[{index}]")
            pubkey = req_pubkey(record, "nodeid")
            alias = record.get("alias") or ""
            if not isinstance(alias, str):
                raise RecordError("alias", alias, "a string")
        except RecordError as exc:
            tally.skip_node(f"{source} nodes[{index}]", str(exc))
            continue
        nodes[pubkey] = GraphNode(pubkey=pubkey, alias=alias)
    return nodes


def _item(record: object, index: int) -> str:
    if isinstance(record, dict) and isinstance(record.get("short_channel_id"), str):
        return f"channel {record['short_channel_id']}"
    return f"channels[{index}]"
