"""LND export folders: the demo export built from a real node, hand-made fixtures, and swagger conformance."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcp_lightning.adapters.files.json_files import read_json
from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.domain.channel import HtlcDirection, Opener, PendingHtlc, ShortChannelId
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.units import Msat

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data/nodes/lnd-example"
FIXTURES = ROOT / "tests/fixtures/nodes"
SWAGGER = json.loads((FIXTURES / "lnd-rest-swagger-subset.json").read_text())
DEFINITIONS: dict[str, dict[str, object]] = SWAGGER["definitions"]
GRAPH = ROOT / "data/graph/describegraph_2025-10-26.json.gz"
DEMO_NODE = "02b1fe652cfc61f1e5cef78c08d60918d9fad3f029808f995a959e0a9dcbd33bab"
_INTEGER_TEXT = {"int64": re.compile(r"-?\d+"), "uint64": re.compile(r"\d+")}


def swagger_errors(value: object, schema: dict[str, object], where: str = "$") -> list[str]:
    """Every place where ``value`` does not fit the swagger 2.0 ``schema``: unknown keys and wrong JSON types.

    Objects may only hold keys of ``properties`` (or any key when ``additionalProperties`` gives a
    schema); int64/uint64 strings must be decimal, ``byte`` strings base64; a ``$ref`` may be null
    (an unset proto3 message).
    """
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return [] if value is None else swagger_errors(value, DEFINITIONS[name], where)
    if "enum" in schema and value not in schema["enum"]:  # type: ignore[operator]
        return [f"{where}: {value!r} is not one of the enum values"]
    kind = schema.get("type", "object")
    if kind == "object":
        return _object_errors(value, schema, where)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {type(value).__name__}"]
        return [e for i, item in enumerate(value) for e in swagger_errors(item, schema["items"], f"{where}[{i}]")]  # type: ignore[arg-type]
    return _scalar_errors(value, str(kind), str(schema.get("format", "")), where)


def _object_errors(value: object, schema: dict[str, object], where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    properties: dict[str, dict[str, object]] = schema.get("properties", {})  # type: ignore[assignment]
    extra = schema.get("additionalProperties")
    errors: list[str] = []
    for key, item in value.items():
        sub_schema = properties.get(key) or (extra if isinstance(extra, dict) else None)
        if sub_schema is None:
            errors.append(f"{where}.{key}: unknown key")
        else:
            errors += swagger_errors(item, sub_schema, f"{where}.{key}")
    return errors


def _scalar_errors(value: object, kind: str, fmt: str, where: str) -> list[str]:
    python_types = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}[kind]
    if isinstance(value, bool) != (kind == "boolean") or not isinstance(value, python_types):
        return [f"{where}: expected {kind}{f' ({fmt})' if fmt else ''}, got {type(value).__name__} {value!r}"]
    if kind == "string" and fmt in _INTEGER_TEXT and not _INTEGER_TEXT[fmt].fullmatch(str(value)):
        return [f"{where}: {value!r} is not a decimal {fmt}"]
    if kind == "string" and fmt == "byte":
        try:
            base64.b64decode(str(value), validate=True)
        except binascii.Error:
            return [f"{where}: {value!r} is not base64"]
    return []


def _conformance_errors(folder: Path) -> list[str]:
    roots = {"getinfo": "lnrpcGetInfoResponse", "channels": "lnrpcListChannelsResponse",
             "fees": "lnrpcFeeReportResponse", "forwards": "lnrpcForwardingHistoryResponse", "node": "lnrpcNodeInfo"}
    errors: list[str] = []
    for path in sorted(folder.glob("*.json*")):
        root = next(definition for prefix, definition in roots.items() if path.name.startswith(prefix))
        errors += [f"{path.name} {e}" for e in swagger_errors(read_json(path), DEFINITIONS[root])]
    return errors


@pytest.fixture(scope="module")
def demo() -> NodeSnapshot:
    """The demo LND export, loaded once."""
    return load_node_export(DEMO)


def test_validator_reports_an_unknown_key() -> None:
    """A key the swagger definition does not declare is reported with its path."""
    event = {"chan_id_in": "1", "colour": "red"}
    assert swagger_errors({"forwarding_events": [event]}, DEFINITIONS["lnrpcForwardingHistoryResponse"]) == [
        "$.forwarding_events[0].colour: unknown key"]


def test_validator_reports_wrong_types() -> None:
    """A uint64 as a JSON number, a non-decimal int64 string and a string boolean are each reported."""
    channel = {"chan_id": 123, "capacity": "12k", "pending_htlcs": [{"incoming": "yes"}]}
    assert swagger_errors({"channels": [channel]}, DEFINITIONS["lnrpcListChannelsResponse"]) == [
        "$.channels[0].chan_id: expected string (uint64), got int 123",
        "$.channels[0].capacity: '12k' is not a decimal int64",
        "$.channels[0].pending_htlcs[0].incoming: expected boolean, got str 'yes'"]


def test_validator_accepts_a_conforming_object() -> None:
    """A fee report with the declared keys and types gives no error."""
    report = {"channel_fees": [{"chan_id": "1", "base_fee_msat": "0", "fee_per_mil": "1", "fee_rate": 1e-06,
                                "inbound_base_fee_msat": -1, "inbound_fee_per_mil": 0}], "day_fee_sum": "0"}
    assert swagger_errors(report, DEFINITIONS["lnrpcFeeReportResponse"]) == []


@pytest.mark.parametrize("folder", [DEMO, FIXTURES / "lnd-small"], ids=["demo", "lnd-small"])
def test_export_files_conform_to_the_lnd_rest_swagger(folder: Path) -> None:
    """Every file of the demo export and of the LND fixture matches LND's REST swagger definitions."""
    assert _conformance_errors(folder) == []


def test_demo_uses_the_real_channels_of_its_node(demo: NodeSnapshot) -> None:
    """The demo's channels are exactly the graph snapshot's channels of barcelona-big, with their capacity and peer."""
    with gzip.open(GRAPH) as handle:
        edges = [e for e in json.load(handle)["edges"] if DEMO_NODE in (e["node1_pub"], e["node2_pub"])]
    expected = {(int(e["channel_id"]), int(e["capacity"]), e["node2_pub"] if e["node1_pub"] == DEMO_NODE
                 else e["node1_pub"]) for e in edges}
    assert {(c.chan_id, c.capacity_sat, c.peer_pubkey) for c in demo.channels} == expected
    assert (demo.pubkey, demo.alias, demo.implementation) == (DEMO_NODE, "barcelona-big [synthetic demo]", "lnd")


def test_demo_policies_combine_the_fee_report_and_the_gossip(demo: NodeSnapshot) -> None:
    """Our fees and inbound discount come from fees.json, the CLTV delta and the peer's policy from node.json."""
    strike = next(c for c in demo.channels if c.scid == ShortChannelId(904945, 1159, 2))
    assert strike.local_policy is not None and strike.remote_policy is not None
    assert (strike.local_policy.fee_rate_ppm, strike.local_policy.inbound_fee_rate_ppm) == (935, -778)
    assert (strike.local_policy.time_lock_delta, strike.local_policy.max_htlc_msat) == (144, 15_840_000_000)
    assert strike.peer_alias == "Strike"
    assert all(c.local_policy is not None and c.remote_policy is not None for c in demo.channels)


def test_demo_forwards_are_consistent(demo: NodeSnapshot) -> None:
    """Every demo forward is between two of its channels, fee = in - out, within 60 days before taken_at."""
    ids = {c.chan_id for c in demo.channels}
    assert len(demo.forwards) > 1000
    assert all(f.in_chan_id in ids and f.out_chan_id in ids and f.in_chan_id != f.out_chan_id for f in demo.forwards)
    assert all(f.fee_msat == f.amount_in_msat - f.amount_out_msat >= 0 for f in demo.forwards)
    assert (demo.taken_at - demo.forwards[0].resolved_at).days < 60
    assert demo.taken_at == datetime(2025, 10, 26, 3, 59, 17, tzinfo=UTC)
    assert demo.skipped == ()


def test_reads_lnd_channels_balances_and_pending_htlcs() -> None:
    """Sat balances, initiator, private and pending HTLCs (sat amounts to msat) come from channels.json."""
    first, second, third = load_node_export(FIXTURES / "lnd-small").channels
    assert (first.capacity_sat, first.local_balance_sat, first.remote_balance_sat) == (2_000_000, 1_234_567, 714_491)
    assert first.pending_htlcs == (PendingHtlc(HtlcDirection.IN, Msat(50_000_000), 900_200),)
    assert second.pending_htlcs == (PendingHtlc(HtlcDirection.OUT, Msat(49_999_000), 900_160),)
    assert (first.opener, second.opener) == (Opener.LOCAL, Opener.REMOTE)
    assert (third.active, third.private, third.peer_alias) == (False, True, None)
    assert first.scid == ShortChannelId(850000, 100, 0)


def test_reads_lnd_fee_report_as_ppm_without_gossip() -> None:
    """fee_per_mil is ppm and inbound fees are kept; without node.json the peer's policy is None."""
    first = load_node_export(FIXTURES / "lnd-small").channels[0]
    assert first.local_policy is not None
    assert (first.local_policy.base_fee_msat, first.local_policy.fee_rate_ppm) == (1000, 250)
    assert first.local_policy.inbound_fee_rate_ppm == -100
    assert first.remote_policy is None


def test_reads_every_forwards_page_in_time_order() -> None:
    """Two pages give three forwards, oldest first, with nanosecond timestamps cut to microseconds."""
    snapshot = load_node_export(FIXTURES / "lnd-small")
    assert [f.fee_msat for f in snapshot.forwards] == [1010, 1250, 20]
    assert snapshot.forwards[0].resolved_at == datetime(2025, 6, 15, 15, 6, 40, 123456, tzinfo=UTC)
    assert snapshot.taken_at == datetime.fromtimestamp(1751000000, UTC)
