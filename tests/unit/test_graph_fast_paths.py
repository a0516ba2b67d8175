"""The ingest fast paths give exactly what the careful paths give."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import GraphChannel
from mcp_lightning.graph.describegraph_fields import EdgeStruct, _careful_edge, edge_fields
from mcp_lightning.graph.fast_build import (
    POLICY_FIELDS,
    SCID_FIELDS,
    _by_keyword,
    _fits,
    new_channel,
    new_policy,
    scid_of,
)
from mcp_lightning.graph.ingest import RecordError, req_int
from mcp_lightning.graph.json_file import decode_records
from mcp_lightning.units import Msat, Ppm, Sat

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"


def test_new_policy_builds_an_equal_frozen_policy() -> None:
    """The slot-writing builder gives a Policy equal to the constructor's, and just as frozen."""
    when = datetime(2024, 1, 1, tzinfo=UTC)
    built = new_policy(1000, 100, 40, 1, 5000, -10, -2, True, when)
    assert built == Policy(Msat(1000), Ppm(100), 40, Msat(1), Msat(5000), Msat(-10), Ppm(-2), True, when)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.fee_rate_ppm = Ppm(1)  # type: ignore[misc]


def test_new_channel_builds_an_equal_channel() -> None:
    """new_channel equals GraphChannel(...) field for field."""
    scid = ShortChannelId(1, 2, 3)
    assert new_channel(scid.chan_id, scid, "a", "b", 10, None, None) == GraphChannel(
        scid.chan_id, scid, "a", "b", Sat(10), None, None)


@pytest.mark.parametrize("chan_id", [1, (1 << 40) | (5 << 16) | 7, (1 << 64) - 1])
def test_scid_of_equals_from_chan_id(chan_id: int) -> None:
    """Unpacking without the range check gives the same short channel id."""
    assert scid_of(chan_id) == ShortChannelId.from_chan_id(chan_id)


def test_struct_and_careful_readers_agree_on_every_fixture_edge() -> None:
    """Each well-formed edge read from its struct equals the careful reading of its JSON."""
    edges = json.loads((FIXTURES / "describegraph_small.json").read_text())["edges"][:6]
    for edge in edges:
        struct = msgspec.json.decode(json.dumps(edge), type=EdgeStruct, strict=False)
        assert edge_fields(struct, {}) == _careful_edge(edge, {})


def test_decode_records_falls_back_per_record() -> None:
    """One record that does not fit the struct comes back as plain JSON; the others as structs."""
    good = {"channel_id": "1", "node1_pub": "a", "node2_pub": "b", "capacity": 5}
    raw = msgspec.Raw(json.dumps([good, dict(good, capacity="abc"), good]).encode())
    records = decode_records(raw, EdgeStruct, "f.json", "edges")
    assert [type(r).__name__ for r in records] == ["EdgeStruct", "dict", "EdgeStruct"]


def test_builders_fall_back_to_the_constructor_when_the_layout_differs() -> None:
    """A class with other fields, or a __post_init__, is built through its real constructor."""
    assert not _fits(ShortChannelId, SCID_FIELDS) and _fits(ShortChannelId, SCID_FIELDS, skip_post_init=True)
    assert not _fits(Policy, POLICY_FIELDS[:-1])
    with pytest.raises(ValueError, match="out of range"):
        _by_keyword(ShortChannelId, SCID_FIELDS)(1 << 25, 0, 0)
    assert _by_keyword(Policy, POLICY_FIELDS)(1, 2, 3, 4, None, 0, 0, False, None) == Policy(
        Msat(1), Ppm(2), 3, Msat(4))


def test_careful_reader_accepts_what_the_struct_path_accepts() -> None:
    """Integral floats and decimal strings are integers on both paths; fractions are refused."""
    assert req_int({"capacity": 5.0}, "capacity") == 5 and req_int({"capacity": "7"}, "capacity") == 7
    with pytest.raises(RecordError, match="capacity"):
        req_int({"capacity": 5.5}, "capacity")
    with pytest.raises(RecordError, match="capacity"):
        req_int({"capacity": True}, "capacity")
