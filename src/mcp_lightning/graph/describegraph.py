"""Parse LND ``lncli describegraph`` / REST ``GET /v1/graph`` JSON into raw channels.

Shape: ``{"nodes": [LightningNode], "edges": [ChannelEdge]}``. LND's JSON uses the proto field names
and writes 64-bit integers as strings (``"capacity": "400000"``), so every integer field accepts
a number or a decimal string. Field translation (the only place LND's names appear):

=======================  ==================  =========================================
LND field                our field           unit
=======================  ==================  =========================================
``channel_id``           ``chan_id``         uint64 (``block << 40 | tx << 16 | out``)
``capacity``             ``capacity_sat``    sat
``fee_base_msat``        ``base_fee_msat``   msat
``fee_rate_milli_msat``  ``fee_rate_ppm``    ppm (despite the name)
``min_htlc``             ``min_htlc_msat``   msat
``max_htlc_msat``        ``max_htlc_msat``   msat; 0 means not announced
``inbound_fee_*``        ``inbound_*``       msat / ppm, negative is a discount
``last_update``          ``last_update_at``  unix seconds -> UTC; absent before LND 0.7
=======================  ==================  =========================================

Source: LND ``lnrpc/lightning.proto`` messages ``ChannelGraph``, ``ChannelEdge``,
``RoutingPolicy``, ``LightningNode``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from mcp_lightning.domain.graph import GraphNode
from mcp_lightning.errors import InputFileError
from mcp_lightning.graph.describegraph_fields import EdgeStruct, edge_fields
from mcp_lightning.graph.ingest import (
    IngestTally,
    ParsedGraph,
    RecordError,
    req_pubkey,
    req_record,
)
from mcp_lightning.graph.ingest_limits import IngestLimits
from mcp_lightning.graph.json_file import RawJson, decode_any, decode_records

FORMAT = "lnd-describegraph"
_POLICY_NAMES = {
    "fee_rate_ppm": "fee_rate_milli_msat",
    "base_fee_msat": "fee_base_msat",
    "min_htlc_msat": "min_htlc",
}
_HINT = "give the JSON printed by `lncli describegraph` or returned by GET /v1/graph"
_PUBKEY = re.compile(r"0[23][0-9a-f]{64}").fullmatch
_STATED_TIME = re.compile(r"\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?)")


def parse_describegraph(top: Mapping[str, RawJson], *, source: str, limits: IngestLimits) -> ParsedGraph:
    """Parse a describegraph document; malformed records are skipped and counted.

    Args:
        top: the document's top-level keys with their undecoded values (``edges``, ``nodes``, ...).
        source: the file name, for error messages.
        limits: what counts as absurd.

    Returns:
        The raw channels, nodes and tally, for ``assemble``.

    Raises:
        InputFileError: when ``edges`` is missing or ``edges``/``nodes`` is not a list.
    """
    if "edges" not in top:
        raise InputFileError(source, "field 'edges' is missing", hint=_HINT)
    tally = IngestTally(limits)
    nodes = _parse_nodes(decode_records(top["nodes"], NodeStruct, source, "nodes"), tally) if "nodes" in top else {}
    stated = _stated_time(decode_any(top["x_snapshot_time_utc"], source)) if "x_snapshot_time_utc" in top else None
    parsed = ParsedGraph(FORMAT, nodes, [], tally, stated_taken_at=stated, record_noun="edge")
    seen: set[int] = set()
    pubkeys: dict[str, str] = {}
    for index, edge in enumerate(decode_records(top["edges"], EdgeStruct, source, "edges")):
        tally.n_records += 1
        try:
            raw = edge_fields(edge, pubkeys)
        except RecordError as exc:
            tally.skip(_edge_item(edge, index), str(exc))
            continue
        if raw.chan_id in seen:
            tally.skip(f"channel {raw.chan_id}", "duplicate channel_id (kept the first record)")
            continue
        seen.add(raw.chan_id)
        parsed.channels.append(tally.counted(raw, _POLICY_NAMES))
    return parsed


class NodeStruct(msgspec.Struct):
    """LND ``LightningNode`` as decoded (only what the graph keeps)."""

    pub_key: str
    alias: str | None = None


def _parse_nodes(records: list[NodeStruct | object], tally: IngestTally) -> dict[str, GraphNode]:
    nodes: dict[str, GraphNode] = {}
    for index, record in enumerate(records):
        if type(record) is NodeStruct and _PUBKEY(record.pub_key):
            nodes[record.pub_key] = GraphNode(pubkey=record.pub_key, alias=record.alias or "")
            continue
        try:
            node = req_record(msgspec.to_builtins(record) if type(record) is NodeStruct else record,
                              f"nodes[{index}]")
            pubkey = req_pubkey(node, "pub_key")
            alias = node.get("alias") or ""
            if not isinstance(alias, str):
                raise RecordError("alias", alias, "a string")
        except RecordError as exc:
            tally.skip_node(f"nodes[{index}]", str(exc))
            continue
        nodes[pubkey] = GraphNode(pubkey=pubkey, alias=alias)
    return nodes


def _edge_item(edge: object, index: int) -> str:
    if isinstance(edge, EdgeStruct):
        return f"channel {edge.channel_id}"
    if isinstance(edge, dict) and isinstance(edge.get("channel_id"), str | int):
        return f"channel {edge['channel_id']}"
    return f"edges[{index}]"


def _stated_time(text: object) -> datetime | None:
    """The leading ISO time of the derived file's ``x_snapshot_time_utc``; None when absent or unreadable."""
    match = _STATED_TIME.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    stated = datetime.fromisoformat(match.group(1))
    return stated if stated.tzinfo is not None else stated.replace(tzinfo=UTC)
