"""Core Lightning export folders: the real LOUDTOLL node and small hand-made fixtures."""

from __future__ import annotations

import gzip
import json
import lzma
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.domain.channel import HtlcCounters, HtlcDirection, Opener, PendingHtlc, ShortChannelId
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.units import Msat

ROOT = Path(__file__).resolve().parents[2]
LOUDTOLL = ROOT / "data/nodes/cln-loudtoll"
FIXTURES = ROOT / "tests/fixtures/nodes"


def _chan_id(scid: str) -> int:
    return ShortChannelId.parse(scid).chan_id


@pytest.fixture(scope="module")
def loudtoll() -> tuple[NodeSnapshot, float]:
    """The real LOUDTOLL export, loaded once, with its load time in seconds."""
    started = time.perf_counter()
    snapshot = load_node_export(LOUDTOLL)
    return snapshot, time.perf_counter() - started


@pytest.fixture(scope="module")
def raw_channels() -> dict[str, dict[str, object]]:
    """LOUDTOLL's raw ``listpeerchannels`` records by short channel id."""
    with lzma.open(LOUDTOLL / "listpeerchannels.json.xz") as handle:
        return {c["short_channel_id"]: c for c in json.load(handle)["channels"]}


@pytest.fixture(scope="module")
def raw_routed_events() -> list[dict[str, object]]:
    """LOUDTOLL's raw bookkeeper events tagged ``routed``."""
    with gzip.open(LOUDTOLL / "bkpr-listaccountevents.json.gz") as handle:
        return [e for e in json.load(handle)["events"] if e["tag"] == "routed"]


def test_loudtoll_identity_comes_from_getinfo(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """The node id, alias, block height and implementation are those of getinfo.json."""
    snapshot, _ = loudtoll
    assert snapshot.pubkey == "02c095d069538f96bf14c5f90f6c0851bdf354a0ec86039a24bf38a73f705adc2c"
    assert (snapshot.alias, snapshot.block_height, snapshot.implementation) == ("LOUDTOLL", 950276, "cln")
    assert snapshot.source == str(LOUDTOLL)


def test_loudtoll_keeps_the_85_open_channels_and_skips_the_2_onchain(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """Of 87 channels, the 85 in CHANNELD_NORMAL are kept and the 2 ONCHAIN ones are skipped with the reason."""
    snapshot, _ = loudtoll
    assert len(snapshot.channels) == 85
    assert len({c.chan_id for c in snapshot.channels}) == 85
    assert sorted((s.item, s.reason) for s in snapshot.skipped) == [
        ("channel 855347x980x0", "closed (state ONCHAIN)"), ("channel 921557x2387x1", "closed (state ONCHAIN)")]


def test_loudtoll_channel_values_match_the_raw_json(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """Channel 924078x1339x1 carries exactly the values of its listpeerchannels record."""
    snapshot, _ = loudtoll
    channel = next(c for c in snapshot.channels if c.chan_id == _chan_id("924078x1339x1"))
    assert channel.chan_point == "544f8f457acbd40f16a55dd74bac4d8f30e652c03e8e863d273323c175a57588:1"
    assert channel.peer_pubkey == "02373ab35d61b4b2fb23d324442f975678d25926047f11bc76c16ca73dee5b1542"
    assert (channel.capacity_sat, channel.local_balance_sat, channel.remote_balance_sat) == (1_000_000, 0, 1_000_000)
    assert (channel.active, channel.private, channel.opener) == (True, False, Opener.REMOTE)
    assert channel.local_policy is not None and channel.remote_policy is not None
    assert (channel.local_policy.base_fee_msat, channel.local_policy.fee_rate_ppm) == (1000, 2000)
    assert channel.local_policy.time_lock_delta == 34
    assert (channel.remote_policy.fee_rate_ppm, channel.remote_policy.time_lock_delta) == (40, 80)
    assert channel.remote_policy.max_htlc_msat == 1_000_000_000
    assert channel.htlc_counters == HtlcCounters(n_in_offered=330, n_in_fulfilled=0, n_out_offered=0, n_out_fulfilled=0)


def test_loudtoll_balances_and_fees_of_every_channel_match_the_raw_json(
        loudtoll: tuple[NodeSnapshot, float], raw_channels: dict[str, dict[str, object]]) -> None:
    """For all 85 channels: capacity = total_msat // 1000, local = to_us_msat // 1000, fees from updates.local."""
    snapshot, _ = loudtoll
    for channel in snapshot.channels:
        raw = raw_channels[str(channel.scid)]
        local_update = raw["updates"]["local"]  # type: ignore[index]
        assert channel.capacity_sat == raw["total_msat"] // 1000  # type: ignore[operator]
        assert channel.local_balance_sat == raw["to_us_msat"] // 1000  # type: ignore[operator]
        assert channel.local_balance_sat + channel.remote_balance_sat == channel.capacity_sat
        assert channel.local_policy is not None
        assert channel.local_policy.fee_rate_ppm == local_update["fee_proportional_millionths"]
        assert channel.active == raw["peer_connected"]


def test_loudtoll_htlc_limit_ceilings_follow_core_lightnings_rule(
        loudtoll: tuple[NodeSnapshot, float], raw_channels: dict[str, dict[str, object]]) -> None:
    """Ceiling = min(total - our_reserve, their_max_htlc_value_in_flight), and no announced limit is above it."""
    snapshot, _ = loudtoll
    for channel in snapshot.channels:
        raw = raw_channels[str(channel.scid)]
        expected = min(raw["total_msat"] - raw["our_reserve_msat"],  # type: ignore[operator]
                       raw["their_max_htlc_value_in_flight_msat"])
        assert channel.max_htlc_ceiling_msat == expected
        assert channel.local_policy is not None and channel.local_policy.max_htlc_msat is not None
        assert channel.local_policy.max_htlc_msat <= expected
    # 924078x1339x1: 1,000,000 sat, 10,000 sat reserve -> at most 990,000,000 msat
    assert next(c for c in snapshot.channels if c.chan_id == _chan_id("924078x1339x1")).max_htlc_ceiling_msat == (
        990_000_000)


def test_loudtoll_forwards_pair_every_routed_event(
        loudtoll: tuple[NodeSnapshot, float], raw_routed_events: list[dict[str, object]]) -> None:
    """The 25,884 routed events become 12,942 forwards whose fees sum to the credits' fees_msat."""
    snapshot, _ = loudtoll
    assert len(raw_routed_events) == 25_884
    assert len(snapshot.forwards) == 12_942
    assert all(f.fee_msat == f.amount_in_msat - f.amount_out_msat for f in snapshot.forwards)
    assert all(f.fee_msat >= 0 for f in snapshot.forwards)
    credit_fees = sum(e["fees_msat"] for e in raw_routed_events if e["credit_msat"])  # type: ignore[misc]
    assert sum(f.fee_msat for f in snapshot.forwards) == credit_fees == 455_044_020
    times = [f.resolved_at for f in snapshot.forwards]
    assert times == sorted(times)


def test_loudtoll_forwards_map_accounts_to_channels(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """Accounts map via listpeerchannels, listclosedchannels and listfunds; 10,830 forwards touch an open channel."""
    snapshot, _ = loudtoll
    open_ids = {c.chan_id for c in snapshot.channels}
    assert sum(1 for f in snapshot.forwards if f.in_chan_id in open_ids or f.out_chan_id in open_ids) == 10_830
    assert sum(1 for f in snapshot.forwards if f.in_chan_id is not None and f.out_chan_id is not None) == 11_448
    first = snapshot.forwards[0]
    assert (first.amount_in_msat, first.amount_out_msat, first.fee_msat) == (46_383_463, 46_382_000, 1_463)
    assert first.resolved_at == datetime.fromtimestamp(1675801485, UTC)


def test_loudtoll_taken_at_is_the_newest_timestamp(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """taken_at is the newest forward (2026-07-07 04:04:37 UTC), later than any channel timestamp."""
    snapshot, _ = loudtoll
    assert snapshot.taken_at == datetime(2026, 7, 7, 4, 4, 37, tzinfo=UTC)
    assert snapshot.taken_at == snapshot.forwards[-1].resolved_at


def test_loudtoll_loads_fast(loudtoll: tuple[NodeSnapshot, float]) -> None:
    """Loading 32,130 bookkeeper events stays far from quadratic: under 2 s even on a busy 2-core machine."""
    _, seconds = loudtoll
    assert seconds < 2.0


def test_reads_current_and_older_channel_layouts() -> None:
    """A v24+ channel reads policies from updates; an older one from the top-level fee fields."""
    snapshot = load_node_export(FIXTURES / "cln-small")
    new, old, splicing = snapshot.channels
    assert new.local_policy is not None and new.remote_policy is not None
    assert (new.local_policy.fee_rate_ppm, new.local_policy.min_htlc_msat, new.remote_policy.fee_rate_ppm) == (
        250, 1000, 1200)
    assert new.pending_htlcs == (PendingHtlc(HtlcDirection.IN, Msat(50_000_000), 900_200),)
    assert old.local_policy is not None and old.remote_policy is None
    assert (old.local_policy.base_fee_msat, old.local_policy.fee_rate_ppm) == (0, 10)
    assert old.local_policy.max_htlc_msat == 990_000_000
    assert (old.active, old.private, old.opener, old.local_balance_sat) == (False, True, Opener.REMOTE, 300_000)
    assert old.pending_htlcs == (PendingHtlc(HtlcDirection.OUT, Msat(1_000_000), 900_150),)
    assert splicing.scid == ShortChannelId(870000, 77, 2) and splicing.htlc_counters is None


def test_skips_closed_and_unconfirmed_channels_with_their_state() -> None:
    """ONCHAIN is skipped as closed, CHANNELD_AWAITING_LOCKIN as not yet open."""
    reasons = {s.reason for s in load_node_export(FIXTURES / "cln-small").skipped}
    assert reasons == {"closed (state ONCHAIN)", "not yet open (state CHANNELD_AWAITING_LOCKIN)"}


def test_listforwards_keeps_only_settled_forwards() -> None:
    """Failed, local_failed and offered forwards are left out; a zero resolved_time falls back to received_time."""
    forwards = load_node_export(FIXTURES / "cln-small").forwards
    assert [f.fee_msat for f in forwards] == [100, 1250, 1010]
    assert forwards[0].in_chan_id == _chan_id("840000x9x0")
    assert forwards[0].resolved_at == datetime.fromtimestamp(1700000000, UTC)
    assert forwards[2].resolved_at == datetime(2025, 6, 15, 14, 50, 1, 500000, tzinfo=UTC)


def test_bookkeeper_pairs_htlcs_sharing_a_payment_id_by_fee() -> None:
    """Two HTLCs of one payment pair credit to debit by fees_msat, the closed channel mapped via listclosedchannels."""
    snapshot = load_node_export(FIXTURES / "cln-bkpr")
    shared = [f for f in snapshot.forwards if f.out_chan_id == _chan_id("840000x9x0")]
    assert sorted((f.amount_in_msat, f.amount_out_msat, f.fee_msat) for f in shared) == [
        (4_000_500, 4_000_000, 500), (8_001_000, 8_000_000, 1_000)]


def test_bookkeeper_keeps_unknown_accounts_as_none_and_skips_unpaired_events() -> None:
    """An unmapped account gives chan_id None; a lone credit is skipped; rebalances and invoices are not forwards."""
    snapshot = load_node_export(FIXTURES / "cln-bkpr")
    assert len(snapshot.forwards) == 4
    unknown = [f for f in snapshot.forwards if f.in_chan_id is None]
    assert [(f.out_chan_id, f.fee_msat) for f in unknown] == [(_chan_id("850000x100x0"), 20)]
    assert [s.reason.split(":")[0] for s in snapshot.skipped] == [
        "unpaired routed credit of 6000600 msat (fees_msat 600) on account " + "bb" * 32]
