"""The store keeps runs and decisions exactly, in order, atomically — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mcp_lightning.adapters.store import Store
from mcp_lightning.domain.channel import ShortChannelId
from mcp_lightning.domain.decision import DecisionType, RebalanceDirection, RebalanceSuggestion
from mcp_lightning.engine.plan import PlannedDecision, SafetyResult, Verdict
from mcp_lightning.engine.ports import RunStore
from mcp_lightning.errors import InputError, StoreError
from mcp_lightning.units import Msat, Ppm, Sat
from tests.factories import EVALUATED_AT, make_decision, make_facts, make_planned, make_policy, make_run

LND_ALIAS_SCID = ShortChannelId(16_000_000, 0, 7)  # LND's SCID aliases start at block 16,000,000


def every_kind_of_decision() -> list[PlannedDecision]:
    """Six decisions covering every field: None proposals, rebalance, close, clamps, rejection."""
    no_action = make_planned(
        decision=make_decision(chan_id=ShortChannelId(700_000, 1, 0).chan_id, scid=None,
                               decision=DecisionType.NO_ACTION, current=None, proposed=None, scores=()),
        safety=SafetyResult(Verdict.NOT_APPLICABLE),
        facts=make_facts(peer_alias="⚡ Łódź 節點 🚀", active=False, in_graph=False, local_ratio=0.0),
    )
    rebalance = make_planned(
        decision=make_decision(
            decision=DecisionType.REBALANCE, proposed=None,
            rebalance=RebalanceSuggestion(Sat(1_250_000), RebalanceDirection.PULL_IN, 0.35),
        ),
        safety=SafetyResult(Verdict.NOT_APPLICABLE), facts=make_facts(peer_alias=None),
    )
    close = make_planned(
        decision=make_decision(
            chan_id=LND_ALIAS_SCID.chan_id, scid=str(LND_ALIAS_SCID), decision=DecisionType.CLOSE_CHANNEL,
            proposed=None, close_reason="No forward in 180 days and the peer is offline 40% of the time.",
        ),
        safety=SafetyResult(Verdict.NOT_APPLICABLE),
    )
    clamped = make_policy(fee_rate_ppm=Ppm(400), max_htlc_msat=None, last_update_at=None, disabled=True)
    adjusted = make_planned(
        decision=make_decision(decision=DecisionType.DECREASE_FEES,
                               proposed=make_policy(fee_rate_ppm=Ppm(200))),
        safety=SafetyResult(Verdict.ADJUSTED, proposed=clamped,
                            notes=("Step clamped from -300 ppm to -100 ppm.", "Kept 1 s above floor.")),
    )
    rejected = make_planned(
        safety=SafetyResult(Verdict.REJECTED, rule="cooldown",
                            reason="Last change 2 h ago, cooldown is 24 h."),
        inputs_fingerprint="0" * 64,
    )
    return [make_planned(), no_action, rebalance, close, adjusted, rejected]


def test_round_trips_a_run_and_every_field_of_its_decisions(store: Store) -> None:
    """A recorded run and its decisions read back equal to what was recorded, in plan order."""
    planned = every_kind_of_decision()
    run = make_run(n_channels=len(planned), decision_counts={"INCREASE_FEES": 2, "NO_ACTION": 1})
    store.record_run(run, planned)

    assert store.list_runs() == [run]
    stored = store.run_decisions(run.run_id)
    assert [s.to_planned() for s in stored] == planned
    assert stored[1].peer_alias == "⚡ Łódź 節點 🚀"
    assert {s.run_id for s in stored} == {run.run_id}
    assert {s.node_pubkey for s in stored} == {run.node_pubkey}
    assert {s.created_at for s in stored} == {run.evaluated_at}


def test_run_decisions_of_an_unknown_run_is_empty(store: Store) -> None:
    """Asking for the decisions of a run that was never recorded gives an empty list."""
    assert store.run_decisions("f" * 32) == []


@pytest.mark.parametrize("chan_id", [0, 2**63 - 1, 2**63, LND_ALIAS_SCID.chan_id, 2**64 - 1])
def test_round_trips_chan_ids_over_the_whole_uint64_range(store: Store, chan_id: int) -> None:
    """chan_ids up to 2^64-1 (LND alias SCIDs exceed 2^63) come back exact and can be searched."""
    planned = make_planned(decision=make_decision(chan_id=chan_id))
    store.record_run(make_run(), [planned])

    (found,) = store.decisions_for_channel(chan_id)
    assert found.chan_id == chan_id


def test_refuses_a_chan_id_outside_uint64(store: Store) -> None:
    """A chan_id of 2^64 is refused with a message naming it."""
    with pytest.raises(StoreError, match=str(2**64)):
        store.record_run(make_run(), [make_planned(decision=make_decision(chan_id=2**64))])


def test_lists_runs_newest_first_with_limit_and_node_filter(store: Store) -> None:
    """list_runs orders by started_at descending, honours limit, and filters by node."""
    runs = [make_run(started_at=EVALUATED_AT + timedelta(hours=h)) for h in (2, 0, 3, 1)]
    other_node = make_run(started_at=EVALUATED_AT + timedelta(hours=9), node_pubkey="03" + "11" * 32)
    for run in [*runs, other_node]:
        store.record_run(run, [])

    newest_first = sorted(runs, key=lambda r: r.started_at, reverse=True)
    assert store.list_runs(limit=3, node_pubkey=runs[0].node_pubkey) == newest_first[:3]
    assert store.list_runs()[0] == other_node
    assert len(store.list_runs(limit=20)) == 5


def test_orders_runs_by_instant_whatever_their_utc_offset(store: Store) -> None:
    """12:00+02:00 is earlier than 11:00Z, and both come back as UTC datetimes."""
    paris = make_run(started_at=datetime(2025, 10, 26, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    utc = make_run(started_at=datetime(2025, 10, 26, 11, 0, tzinfo=UTC))
    store.record_run(paris, [])
    store.record_run(utc, [])

    assert [r.run_id for r in store.list_runs()] == [utc.run_id, paris.run_id]
    back = store.list_runs()[1]
    assert back.started_at == paris.started_at
    assert back.started_at.utcoffset() == timedelta(0)
    assert back.started_at.hour == 10


def test_refuses_a_naive_datetime(store: Store) -> None:
    """A run with a datetime lacking a timezone is refused and not recorded."""
    with pytest.raises(StoreError, match="no timezone"):
        store.record_run(make_run(finished_at=datetime(2025, 10, 26, 12, 0)), [])
    assert store.list_runs() == []


def test_finds_a_run_by_the_first_eight_characters_of_its_id(store: Store) -> None:
    """find_run resolves a unique prefix to its run."""
    runs = [make_run() for _ in range(3)]
    for run in runs:
        store.record_run(run, [])

    assert store.find_run(runs[1].run_id[:8]) == runs[1]
    assert store.find_run(f"  {runs[2].run_id} ") == runs[2]


def test_an_ambiguous_prefix_asks_for_more_characters(store: Store) -> None:
    """A prefix shared by two runs raises an InputError that says so."""
    store.record_run(make_run(run_id="abcd1234" + "0" * 24), [])
    store.record_run(make_run(run_id="abcd5678" + "0" * 24), [])

    with pytest.raises(InputError, match="more than one run") as caught:
        store.find_run("abcd")
    assert caught.value.hint == "type more characters of the run id"


@pytest.mark.parametrize("prefix", ["", "%", "_", "ABCD", "0123abcd"])
def test_a_prefix_matching_no_run_is_an_input_error(store: Store, prefix: str) -> None:
    """Empty prefixes, SQL wildcards, other letter case and unknown prefixes match nothing anywhere."""
    store.record_run(make_run(run_id="abcd1234" + "0" * 24), [])
    with pytest.raises(InputError, match="no run id"):
        store.find_run(prefix)


def test_decisions_for_a_channel_come_newest_first(store: Store) -> None:
    """decisions_for_channel returns one channel's decisions across runs, newest first, limited."""
    other = make_planned(decision=make_decision(chan_id=ShortChannelId(800_000, 5, 0).chan_id))
    runs = [make_run(evaluated_at=EVALUATED_AT + timedelta(hours=h)) for h in (1, 3, 2)]
    for run in runs:
        store.record_run(run, [make_planned(), other])

    found = store.decisions_for_channel(make_decision().chan_id, limit=2)
    assert [d.run_id for d in found] == [runs[1].run_id, runs[2].run_id]


def test_a_failed_run_leaves_nothing_behind(store: Store) -> None:
    """When the second decision violates NOT NULL, the run row is absent and earlier runs are intact."""
    earlier = make_run(started_at=EVALUATED_AT - timedelta(hours=1))
    store.record_run(earlier, [make_planned()])
    broken = [make_planned(), make_planned(decision=make_decision(peer_pubkey=None))]
    failing = make_run()

    with pytest.raises(StoreError, match=f"recording run {failing.run_id} failed"):
        store.record_run(failing, broken)

    assert store.list_runs() == [earlier]
    assert store.run_decisions(failing.run_id) == []
    assert [d.to_planned() for d in store.run_decisions(earlier.run_id)] == [make_planned()]


@pytest.mark.parametrize("bad", [
    make_planned(decision=make_decision(confidence=float("nan"))),
    make_planned(decision=make_decision(composite_score=float("inf"))),
    make_planned(facts=make_facts(local_ratio=float("nan"))),
], ids=["nan-confidence", "infinite-score", "nan-in-json"])
def test_refuses_non_finite_numbers_on_every_backend(store: Store, bad: PlannedDecision) -> None:
    """NaN and infinities are refused (SQLite would turn them into NULL) and the run is not kept."""
    with pytest.raises(StoreError):
        store.record_run(make_run(), [make_planned(), bad])
    assert store.list_runs() == []


def test_a_duplicate_run_id_is_refused_and_the_first_run_kept(store: Store) -> None:
    """Recording a run id twice fails; the first recording stays as it was."""
    run = make_run()
    store.record_run(run, [make_planned()])
    with pytest.raises(StoreError, match="recording run"):
        store.record_run(replace(run, mode="auto"), [make_planned(), make_planned()])

    assert store.list_runs() == [run]
    assert len(store.run_decisions(run.run_id)) == 1


def test_data_survives_closing_and_reopening(database_url: str, tmp_path: Path) -> None:
    """A run recorded before close() is read back by a new store on the same URL."""
    from mcp_lightning.adapters.store import open_store

    run = make_run()
    with open_store(database_url, default_dir=tmp_path) as first:
        first.record_run(run, [make_planned()])
    with open_store(database_url, default_dir=tmp_path) as second:
        assert second.find_run(run.run_id[:8]) == run


def test_stored_policy_amounts_keep_msat_precision(store: Store) -> None:
    """Amounts above 2^53 msat (beyond a JSON double) survive the round trip exactly."""
    huge = make_policy(max_htlc_msat=Msat(2**53 + 1), base_fee_msat=Msat(4_294_967_295))
    planned = make_planned(decision=make_decision(current=huge))
    store.record_run(make_run(), [planned])
    (stored,) = store.decisions_for_channel(planned.decision.chan_id)
    assert stored.current == huge


def test_store_serves_as_the_engines_run_store_port(store: Store) -> None:
    """A Store is usable wherever the engine expects a RunStore (mypy checks the assignment)."""
    port: RunStore = store
    run = make_run()
    port.record_run(run, [make_planned()])
    assert port.policy_changes_since(run.started_at) == []
    assert store.find_run(run.run_id) == run


def test_counter_baseline_is_the_run_a_week_before_else_the_oldest(store: Store) -> None:
    """Runs 9, 8 and 2 days before now: the 8-day-old run's counters; nothing before 'now': None."""
    from mcp_lightning.domain.channel import HtlcCounters

    now = EVALUATED_AT + timedelta(days=9)
    for days_before, offered in ((9, 10), (8, 20), (2, 30)):
        facts = make_facts(htlc_counters=HtlcCounters(1, 1, offered, 5))
        store.record_run(make_run(evaluated_at=now - timedelta(days=days_before)), [make_planned(facts=facts)])
    chan_id = make_planned().decision.chan_id
    baseline = store.counter_baseline(make_run().node_pubkey, now)
    assert baseline is not None
    assert baseline[0] == now - timedelta(days=8) and baseline[1] == {chan_id: HtlcCounters(1, 1, 20, 5)}
    young = store.counter_baseline(make_run().node_pubkey, now - timedelta(days=3))
    assert young is not None and young[0] == now - timedelta(days=9)
    assert store.counter_baseline(make_run().node_pubkey, EVALUATED_AT) is None
    assert store.counter_baseline("02" + "00" * 32, now) is None
