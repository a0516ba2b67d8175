"""Export detection and bad input: broken files raise clear errors, single bad records are skipped."""

from __future__ import annotations

import gzip
import json
import lzma
import shutil
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.errors import InputFileError

FIXTURES = Path(__file__).resolve().parents[2] / "tests/fixtures/nodes"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _load_error(folder: Path) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        load_node_export(folder)
    return caught.value


def _only_skip(snapshot: NodeSnapshot, file_name: str) -> str:
    skipped = [s for s in snapshot.skipped if s.source.endswith(file_name)]
    assert len(skipped) == 1, skipped
    return f"{skipped[0].item}: {skipped[0].reason}"


# --- detection ---------------------------------------------------------------------------------

def test_detects_each_implementation_by_its_files() -> None:
    """A folder with listpeerchannels.json is Core Lightning, one with channels.json is LND."""
    assert load_node_export(FIXTURES / "cln-small").implementation == "cln"
    assert load_node_export(FIXTURES / "lnd-small").implementation == "lnd"


def test_names_the_files_looked_for_when_the_folder_is_neither(tmp_path: Path) -> None:
    """An empty folder gives an error naming both files it looked for."""
    error = _load_error(tmp_path)
    assert str(tmp_path) in error.message
    assert "listpeerchannels.json" in error.message and "channels.json" in error.message
    assert error.hint is not None


def test_rejects_a_folder_holding_both_exports(tmp_path: Path) -> None:
    """Files of both implementations in one folder are an error, not a guess."""
    folder = _copy("cln-small", tmp_path)
    shutil.copy(FIXTURES / "lnd-small/channels.json", folder)
    assert "both" in _load_error(folder).message


def test_rejects_a_path_that_is_not_a_folder() -> None:
    """A file path instead of a folder is an error naming the path."""
    error = _load_error(FIXTURES / "cln-small/getinfo.json")
    assert error.message.endswith("getinfo.json: is not a folder")


def test_reads_compressed_and_zipped_files(tmp_path: Path) -> None:
    """The same export compressed as .xz, .gz and a one-member .zip gives the same snapshot."""
    folder = _copy("cln-small", tmp_path)
    for name, pack in (("listpeerchannels.json", "xz"), ("listforwards.json", "gz"), ("getinfo.json", "zip")):
        plain = folder / name
        if pack == "zip":
            with zipfile.ZipFile(folder / f"{name}.zip", "w") as archive:
                archive.write(plain, name)
        else:
            (folder / f"{name}.{pack}").write_bytes((lzma if pack == "xz" else gzip).compress(plain.read_bytes()))
        plain.unlink()
    packed = load_node_export(folder)
    assert (packed.channels, packed.forwards) == (load_node_export(FIXTURES / "cln-small").channels,
                                                  load_node_export(FIXTURES / "cln-small").forwards)


def test_rejects_two_copies_of_one_file(tmp_path: Path) -> None:
    """listpeerchannels.json next to listpeerchannels.json.gz is ambiguous and names both."""
    folder = _copy("cln-small", tmp_path)
    (folder / "listpeerchannels.json.gz").write_bytes(gzip.compress((folder / "listpeerchannels.json").read_bytes()))
    error = _load_error(folder)
    assert "2 copies" in error.message and "listpeerchannels.json.gz" in error.message


# --- file-level problems -----------------------------------------------------------------------

def test_truncated_gzip_file_names_the_file(tmp_path: Path) -> None:
    """A .gz cut in half raises an error naming the file and saying it is truncated."""
    folder = _copy("cln-bkpr", tmp_path)
    events = folder / "bkpr-listaccountevents.json"
    packed = gzip.compress(events.read_bytes())
    (folder / "bkpr-listaccountevents.json.gz").write_bytes(packed[: len(packed) // 2])
    events.unlink()
    error = _load_error(folder)
    assert "bkpr-listaccountevents.json.gz: is a truncated or corrupt gzip file" in error.message
    assert error.hint is not None and "again" in error.hint


def test_corrupt_xz_file_names_the_file(tmp_path: Path) -> None:
    """Garbage bytes in a .xz file raise an error naming the file and the format."""
    folder = _copy("cln-small", tmp_path)
    (folder / "listpeerchannels.json").unlink()
    (folder / "listpeerchannels.json.xz").write_bytes(b"\xfd7zXZ\x00 this is not xz data")
    assert "listpeerchannels.json.xz: is a truncated or corrupt xz file" in _load_error(folder).message


def test_truncated_json_says_it_is_truncated(tmp_path: Path) -> None:
    """A plain JSON file cut short raises an error naming the file and saying it was truncated."""
    folder = _copy("cln-small", tmp_path)
    path = folder / "listpeerchannels.json"
    path.write_text(path.read_text()[:500])
    error = _load_error(folder)
    assert "listpeerchannels.json: is not valid JSON" in error.message and "truncated" in error.message


def test_missing_getinfo_names_the_file_and_the_command(tmp_path: Path) -> None:
    """Without getinfo.json the error names the file and how to create it."""
    folder = _copy("lnd-small", tmp_path)
    (folder / "getinfo.json").unlink()
    error = _load_error(folder)
    assert "getinfo.json: not found" in error.message
    assert error.hint is not None and "/v1/getinfo" in error.hint


def test_missing_forwarding_history_is_an_error(tmp_path: Path) -> None:
    """A Core Lightning export without listforwards or bookkeeper events names both files."""
    folder = _copy("cln-small", tmp_path)
    (folder / "listforwards.json").unlink()
    error = _load_error(folder)
    assert "listforwards.json" in error.message and "bkpr-listaccountevents.json" in error.message


def test_missing_forward_pages_is_an_error(tmp_path: Path) -> None:
    """An LND export without any forwards*.json names the pattern and the call."""
    folder = _copy("lnd-small", tmp_path)
    for page in folder.glob("forwards*"):
        page.unlink()
    error = _load_error(folder)
    assert "forwards*.json" in error.message and error.hint is not None and "/v1/switch" in error.hint


def test_getinfo_missing_a_required_field_names_the_field(tmp_path: Path) -> None:
    """getinfo.json without 'id' raises an error naming the file and the field."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "getinfo.json", lambda d: d.pop("id"))
    assert "getinfo.json: field 'id' is missing" in _load_error(folder).message


def test_getinfo_with_a_wrong_type_names_the_field_and_value(tmp_path: Path) -> None:
    """A block height given as text raises an error quoting the value."""
    folder = _copy("lnd-small", tmp_path)
    _edit(folder / "getinfo.json", lambda d: d.update(block_height="tip"))
    assert "field 'block_height' has value 'tip', expected an integer" in _load_error(folder).message


def test_channel_list_that_is_not_a_list_is_an_error(tmp_path: Path) -> None:
    """A top-level 'channels' that is an object raises an error naming the field."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json", lambda d: d.update(channels={}))
    assert "top-level field 'channels' is a dict, expected a list" in _load_error(folder).message


def test_node_info_of_another_node_is_an_error(tmp_path: Path) -> None:
    """A node.json whose pub_key is not ours is rejected rather than mixing in someone else's policies."""
    folder = _copy("lnd-small", tmp_path)
    (folder / "node.json").write_text(json.dumps({"node": {"pub_key": "03" + "ff" * 32}, "channels": []}))
    assert "field 'node.pub_key'" in _load_error(folder).message


# --- record-level problems: skipped, the run goes on ------------------------------------------

def test_skips_channel_with_negative_capacity(tmp_path: Path) -> None:
    """An LND channel with capacity -5 is skipped with the field and value; the others are kept."""
    folder = _copy("lnd-small", tmp_path)
    _edit(folder / "channels.json", lambda d: d["channels"][0].update(capacity="-5"))
    snapshot = load_node_export(folder)
    assert len(snapshot.channels) == 2
    assert "field 'capacity' has value '-5', expected an integer from 1" in _only_skip(snapshot, "channels.json")


def test_skips_channel_with_local_balance_above_capacity(tmp_path: Path) -> None:
    """A CLN channel with to_us_msat above total_msat is skipped naming to_us_msat."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json", lambda d: d["channels"][0].update(to_us_msat=2_000_000_001))
    snapshot = load_node_export(folder)
    assert len(snapshot.channels) == 2
    reasons = [s.reason for s in snapshot.skipped if s.item == "channel 850000x100x0"]
    assert reasons == ["field 'to_us_msat' has value 2000000001, expected an integer from 0 to 2,000,000,000"]


def test_skips_channel_with_absurd_fee_rate(tmp_path: Path) -> None:
    """A CLN fee rate above 4,294,967,295 ppm skips that channel, naming the nested field."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json",
          lambda d: d["channels"][0]["updates"]["local"].update(fee_proportional_millionths=4_294_967_296))
    reasons = [s.reason for s in load_node_export(folder).skipped if s.item == "channel 850000x100x0"]
    assert reasons == ["field 'updates.local.fee_proportional_millionths' has value 4294967296, "
                       "expected an integer from 0 to 4,294,967,295"]


def test_skips_fee_record_with_absurd_fee_rate_and_keeps_the_channel(tmp_path: Path) -> None:
    """An LND fee report entry above u32 is skipped; its channel stays, with an unknown policy."""
    folder = _copy("lnd-small", tmp_path)
    _edit(folder / "fees.json", lambda d: d["channel_fees"][0].update(fee_per_mil="4294967296"))
    snapshot = load_node_export(folder)
    assert len(snapshot.channels) == 3 and snapshot.channels[0].local_policy is None
    assert "field 'fee_per_mil' has value '4294967296'" in _only_skip(snapshot, "fees.json")


def test_skips_channel_missing_a_required_field(tmp_path: Path) -> None:
    """A CLN channel without peer_id is skipped naming the missing field."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json", lambda d: d["channels"][1].pop("peer_id"))
    reasons = [s.reason for s in load_node_export(folder).skipped if s.item == "channel 860000x5x1"]
    assert reasons == ["field 'peer_id' is missing, expected a string"]


def test_skips_channel_with_a_wrong_type(tmp_path: Path) -> None:
    """An LND channel whose 'private' is the string 'yes' is skipped quoting the value."""
    folder = _copy("lnd-small", tmp_path)
    _edit(folder / "channels.json", lambda d: d["channels"][2].update(private="yes"))
    snapshot = load_node_export(folder)
    assert len(snapshot.channels) == 2
    assert "field 'private' has value 'yes', expected true or false" in _only_skip(snapshot, "channels.json")


def test_skips_channel_with_a_bad_htlc(tmp_path: Path) -> None:
    """An HTLC direction other than in/out skips the channel, naming htlcs[0].direction."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json", lambda d: d["channels"][0]["htlcs"][0].update(direction="sideways"))
    reasons = [s.reason for s in load_node_export(folder).skipped if s.item == "channel 850000x100x0"]
    assert reasons == ["field 'htlcs[0].direction' has value 'sideways', expected 'in' or 'out'"]


def test_skips_forward_that_sends_more_than_it_received(tmp_path: Path) -> None:
    """An LND event with amt_out_msat above amt_in_msat is skipped; the other forwards stay."""
    folder = _copy("lnd-small", tmp_path)
    _edit(folder / "forwards-1.json", lambda d: d["forwarding_events"][0].update(amt_out_msat="999999999999"))
    snapshot = load_node_export(folder)
    assert len(snapshot.forwards) == 2
    assert "field 'amt_out_msat' has value '999999999999'" in _only_skip(snapshot, "forwards-1.json")


def test_skips_listforwards_record_with_a_wrong_type(tmp_path: Path) -> None:
    """A settled CLN forward whose in_msat is text is skipped; failed ones are not records to skip."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listforwards.json", lambda d: d["forwards"][0].update(in_msat="lots"))
    snapshot = load_node_export(folder)
    assert len(snapshot.forwards) == 2
    assert _only_skip(snapshot, "listforwards.json") == (
        "forwards[0]: field 'in_msat' has value 'lots', expected an integer (or a string like '1000msat')")


def test_skips_bookkeeper_event_with_a_wrong_type(tmp_path: Path) -> None:
    """A routed event with a non-numeric credit is skipped; its partner is then unpaired and skipped too."""
    folder = _copy("cln-bkpr", tmp_path)
    _edit(folder / "bkpr-listaccountevents.json", lambda d: d["events"][2].update(credit_msat="x"))
    snapshot = load_node_export(folder)
    assert len(snapshot.forwards) == 3
    reasons = [s.reason for s in snapshot.skipped]
    assert "field 'credit_msat' has value 'x', expected an integer (or a string like '1000msat')" in reasons
    assert any(r.startswith("unpaired routed debit of 100000000 msat") for r in reasons)


def test_counts_a_forward_repeated_across_pages_once(tmp_path: Path) -> None:
    """An event present in two pages (same timestamp_ns) is kept once and the copy is skipped."""
    folder = _copy("lnd-small", tmp_path)
    first_page = json.loads((folder / "forwards-1.json").read_text())
    _edit(folder / "forwards-2.json", lambda d: d["forwarding_events"].append(first_page["forwarding_events"][0]))
    snapshot = load_node_export(folder)
    assert len(snapshot.forwards) == 3
    assert "already read from another page" in _only_skip(snapshot, "forwards-2.json")


# --- any value in any field: a channel or a skip, never a raw exception ---------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # lone surrogates are not valid JSON
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT | st.sampled_from(["-1", "0", "18446744073709551616", "1000msat", "1x2x3"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6)


@pytest.mark.parametrize(("fixture", "file_name", "list_key"), [
    ("cln-small", "listpeerchannels.json", "channels"), ("lnd-small", "channels.json", "channels"),
    ("lnd-small", "fees.json", "channel_fees"), ("cln-bkpr", "bkpr-listaccountevents.json", "events")])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_value_in_any_record_field_is_read_or_skipped(
        fixture: str, file_name: str, list_key: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Replacing one field of one record by any JSON value gives a snapshot (maybe with a skip), never a crash."""
    folder = _copy(fixture, tmp_path_factory.mktemp("node"))
    records = json.loads((folder / file_name).read_text())[list_key]
    index = data.draw(st.integers(0, len(records) - 1))
    key = data.draw(st.sampled_from(sorted(records[index])))
    value = data.draw(_JSON_VALUES)
    _edit(folder / file_name, lambda d: d[list_key][index].update({key: value}))
    snapshot = load_node_export(folder)
    skipped_here = [s for s in snapshot.skipped if s.source.endswith(file_name)]
    assert all(s.reason for s in skipped_here)
    if list_key == "channels":
        assert len(snapshot.channels) + len(skipped_here) == len(records)


def test_reads_a_state_change_time_without_zone_as_utc(tmp_path: Path) -> None:
    """A state change written without 'Z' is taken as UTC instead of failing to compare with aware times."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json",
          lambda d: d["channels"][4]["state_changes"][0].update(timestamp="2025-07-01T10:00:00"))
    assert load_node_export(folder).taken_at == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)


def test_skips_channel_with_an_unreadable_state_change_time(tmp_path: Path) -> None:
    """A state change time that is not ISO 8601 skips that channel, quoting the value."""
    folder = _copy("cln-small", tmp_path)
    _edit(folder / "listpeerchannels.json", lambda d: d["channels"][4]["state_changes"][0].update(timestamp="soon"))
    reasons = [s.reason for s in load_node_export(folder).skipped if s.item == "channel 870000x77x2"]
    assert reasons == ["field 'state_changes.timestamp' has value 'soon', expected an ISO 8601 time"]
