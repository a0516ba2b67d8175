"""Graph files that cannot be used raise InputFileError naming the file, the field and the value."""

from __future__ import annotations

import gzip
import json
import lzma
import zipfile
from pathlib import Path

import pytest

from mcp_lightning.errors import InputFileError
from mcp_lightning.graph import load_graph

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"


def _lnd_doc() -> dict[str, object]:
    return json.loads((FIXTURES / "describegraph_small.json").read_text())  # type: ignore[no-any-return]


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


def _error(path: Path) -> str:
    with pytest.raises(InputFileError) as caught:
        load_graph(path)
    return str(caught.value)


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    """A .gz cut in half names the file and says it is truncated."""
    data = (FIXTURES / "describegraph_small.json.gz").read_bytes()
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    message = _error(path)
    assert str(path) in message and "truncated or corrupt gzip" in message


def test_truncated_xz_is_refused(tmp_path: Path) -> None:
    """A .xz cut in half names the file and says it is truncated."""
    data = (FIXTURES / "channels_small.json.xz").read_bytes()
    path = tmp_path / "cut.json.xz"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt xz" in _error(path)


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    """JSON text that stops mid-way is refused with where it stopped."""
    text = (FIXTURES / "describegraph_small.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[:1000])
    message = _error(path)
    assert str(path) in message and "not valid JSON" in message


def test_text_that_is_not_json_is_refused(tmp_path: Path) -> None:
    """A CSV file is refused as not JSON, at line 1."""
    path = tmp_path / "graph.csv"
    path.write_text("node1,node2,capacity\n02aa,03bb,1000\n")
    assert "not valid JSON" in (message := _error(path)) and "line 1" in message


def test_empty_file_is_refused(tmp_path: Path) -> None:
    """An empty file says it is empty."""
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    assert "is empty" in _error(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path that does not exist is reported as unreadable, not as a traceback."""
    assert "cannot be read" in _error(tmp_path / "nope.json")


def test_json_without_edges_or_channels_is_refused(tmp_path: Path) -> None:
    """The wrong shape names both accepted top-level lists and the keys found."""
    message = _error(_write(tmp_path / "g.json", {"graph": []}))
    assert "'edges'" in message and "'channels'" in message and "graph" in message


def test_top_level_array_is_refused(tmp_path: Path) -> None:
    """A JSON array at the top level is not a graph export."""
    assert "expected an object" in _error(_write(tmp_path / "g.json", [1, 2]))


def test_edges_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    """'edges' holding an object is the wrong shape."""
    assert "field 'edges'" in _error(_write(tmp_path / "g.json", {"nodes": [], "edges": {"a": 1}}))


def test_a_listnodes_file_given_as_the_graph_is_refused(tmp_path: Path) -> None:
    """Passing the nodes file alone explains which file to pass instead."""
    message = _error(FIXTURES / "listnodes.json")
    assert "node list" in message


def test_missing_field_in_most_records_is_refused(tmp_path: Path) -> None:
    """Every edge lacking capacity: the file is refused, naming the field."""
    doc = _lnd_doc()
    for edge in doc["edges"]:  # type: ignore[attr-defined]
        del edge["capacity"]
    message = _error(_write(tmp_path / "g.json", doc))
    assert str(tmp_path / "g.json") in message and "'capacity' is missing" in message and "7 of 7" in message


def test_wrong_type_in_most_records_is_refused(tmp_path: Path) -> None:
    """Every fee_base_msat a list: refused, naming the nested field and the value."""
    doc = _lnd_doc()
    for edge in doc["edges"]:  # type: ignore[attr-defined]
        for side in ("node1_policy", "node2_policy"):
            if edge[side]:
                edge[side]["fee_base_msat"] = [1]
    message = _error(_write(tmp_path / "g.json", doc))
    assert "node1_policy.fee_base_msat" in message and "[1]" in message


def test_absurd_value_in_most_policies_is_refused(tmp_path: Path) -> None:
    """Every fee rate at 5,000,000 ppm (a unit mix-up): refused, naming field and value."""
    doc = _lnd_doc()
    for edge in doc["edges"]:  # type: ignore[attr-defined]
        for side in ("node1_policy", "node2_policy"):
            if edge[side]:
                edge[side]["fee_rate_milli_msat"] = "5000000"
    message = _error(_write(tmp_path / "g.json", doc))
    assert "fee_rate_milli_msat" in message and "5000000" in message and "absurd" in message


def test_absurd_capacity_in_most_records_is_refused(tmp_path: Path) -> None:
    """Capacities beyond 21 million BTC are malformed records; all of them refuse the file."""
    doc = _lnd_doc()
    for edge in doc["edges"]:  # type: ignore[attr-defined]
        edge["capacity"] = str(10**16)
    assert "'capacity' has value 10000000000000000" in _error(_write(tmp_path / "g.json", doc))


def test_malformed_listchannels_names_the_core_lightning_field(tmp_path: Path) -> None:
    """Every half-channel with a bad short_channel_id: refused, naming that field."""
    doc = json.loads((FIXTURES / "listchannels.json").read_text())
    for half in doc["channels"]:
        half["short_channel_id"] = "12:ab"
    message = _error(_write(tmp_path / "listchannels.json", doc))
    assert "short_channel_id" in message and "'12:ab'" in message


def test_no_records_at_all_is_refused(tmp_path: Path) -> None:
    """An empty edge list cannot make a graph."""
    assert "no edge records" in _error(_write(tmp_path / "g.json", {"nodes": [], "edges": []}))


def test_a_graph_of_only_zombies_is_refused_with_a_hint(tmp_path: Path) -> None:
    """Stated half a year after every update, all channels are zombies: refused, hint names keep_zombies."""
    doc = _lnd_doc()
    doc["x_snapshot_time_utc"] = "2024-06-01T00:00:00Z"
    with pytest.raises(InputFileError) as caught:
        load_graph(_write(tmp_path / "g.json", doc))
    assert "zombies" in str(caught.value) and "keep_zombies" in (caught.value.hint or "")


def test_a_zip_with_two_json_files_is_refused(tmp_path: Path) -> None:
    """A zip must hold exactly one .json."""
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.json", "{}")
        archive.writestr("b.json", "{}")
    assert "2 .json files" in _error(path)


def test_compressed_non_json_is_refused(tmp_path: Path) -> None:
    """A valid gzip of non-JSON text is refused as not JSON."""
    path = tmp_path / "g.json.gz"
    path.write_bytes(gzip.compress(b"hello"))
    assert "not valid JSON" in _error(path)


def test_xz_of_a_wrong_shape_is_refused(tmp_path: Path) -> None:
    """A valid xz holding {"channels": 3} names the field."""
    path = tmp_path / "channels.json.xz"
    path.write_bytes(lzma.compress(b'{"channels": 3}'))
    assert "field 'channels'" in _error(path)
