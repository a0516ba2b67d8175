"""Shared helpers of the execution tests: recorded runs, a fake node, an executor with a test clock,
and the audit checks every batch must pass."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from mcp_lightning.adapters.store import Store, open_store
from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import RunSummary
from mcp_lightning.execution.channel_ops import RetryPolicy, matches
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.fake_node import FakeNode, Fault
from mcp_lightning.execution.model import ChangeStatus, StepStatus, TxReport
from mcp_lightning.units import Ppm
from tests.factories import EVALUATED_AT, OUR_PUBKEY, make_decision, make_planned, make_policy, make_run

START = EVALUATED_AT + timedelta(hours=1)
OLD_PPM, NEW_PPM = 500, 650


def chan_ids(n: int, first_tx: int = 100) -> list[int]:
    """``n`` distinct uint64 channel ids opened at block 880,000."""
    return [ShortChannelId(880_000, first_tx + i, 1).chan_id for i in range(n)]


def old_policy(chan_id: int, ppm: int = OLD_PPM) -> Policy:
    """The policy every fake channel starts with: 500 ppm (base fee varies per channel to catch mix-ups)."""
    return make_policy(base_fee_msat=1000 + chan_id % 997, fee_rate_ppm=Ppm(ppm))


def new_policy(chan_id: int, ppm: int = NEW_PPM) -> Policy:
    """The plan's target for a channel: ``ppm`` instead of 500."""
    return make_policy(base_fee_msat=1000 + chan_id % 997, fee_rate_ppm=Ppm(ppm))


def record_plan(store: Store, chans: Sequence[int], *, ppm: int = NEW_PPM, current_ppm: int = OLD_PPM,
                when: datetime = EVALUATED_AT) -> RunSummary:
    """Record a run that moves every channel from ``current_ppm`` to ``ppm`` (all allowed by the safety chain)."""
    planned = [make_planned(decision=make_decision(chan_id=c, scid=None, current=old_policy(c, current_ppm),
                                                   proposed=new_policy(c, ppm))) for c in chans]
    run = make_run(n_channels=len(chans), started_at=when, finished_at=when, evaluated_at=when)
    store.record_run(run, planned)
    return run


def record_changes(store: Store, node_pubkey: str, changes: Mapping[int, tuple[Policy, Policy]]) -> RunSummary:
    """Record a run of ``node_pubkey`` moving each channel from its (current, target) policies."""
    planned = [make_planned(decision=make_decision(chan_id=c, scid=None, current=cur, proposed=new))
               for c, (cur, new) in changes.items()]
    run = make_run(n_channels=len(changes), node_pubkey=node_pubkey)
    store.record_run(run, planned)
    return run


def fake_node(chans: Sequence[int], faults: Sequence[Fault] = ()) -> FakeNode:
    """A fake node of ours whose channels all start at ``old_policy``."""
    return FakeNode(OUR_PUBKEY, {c: old_policy(c) for c in chans}, faults=list(faults))


@dataclass
class Clock:
    """A test clock: starts at ``START`` and moves one second per reading (records stay ordered)."""

    now: datetime = START
    step: timedelta = field(default=timedelta(seconds=1))

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Jump forward."""
        self.now += delta


def make_executor(store: Store, node: FakeNode, clock: Clock | None = None, **limits: object) -> Executor:
    """An executor on ``node`` with no retry delays, the default limits (or overrides) and a test clock."""
    options = ExecutorOptions(retry=RetryPolicy(delay_s=0), limits=SafetyLimits(**limits))  # type: ignore[arg-type]
    return Executor(store, node, OUR_PUBKEY, options=options, clock=clock or Clock())


def assert_all_at(node: FakeNode, chans: Sequence[int], expected: dict[int, Policy]) -> None:
    """Every channel shows exactly the expected policy on the node (every field)."""
    for chan_id in chans:
        assert node.policies[chan_id] == expected[chan_id], (chan_id, node.policies[chan_id])


def assert_audit_complete(store: Store, node: FakeNode, report: TxReport) -> None:
    """Nothing changed without a record, and every record tells the truth about the node.

    * every channel the node saw written has a step in the transaction that says it was sent;
    * every sent step links a ``policy_changes`` row; no written step is left unsettled;
    * a verified step matches the node and its change is ``applied``; a restored one matches its
      backup and its change is ``rolled_back``.
    """
    stored = store.transaction(report.tx.tx_id)
    steps = {s.chan_id: s for s in stored.steps}
    written = {chan_id for chan_id, _ in node.writes}
    assert written <= {c for c, s in steps.items() if s.sent}, "a channel was written without a record"
    changes = {c.chan_id: c for c in store.policy_changes_since(START - timedelta(days=1))}
    for chan_id, step in steps.items():
        settled = step.status in (StepStatus.VERIFIED, StepStatus.RESTORED, StepStatus.SKIPPED)
        assert settled or (step.status is StepStatus.FAILED and not step.sent), (chan_id, step)
        if step.sent:
            assert chan_id in changes, f"channel {chan_id} sent without a policy_changes row"
        if step.status is StepStatus.VERIFIED:
            assert matches(step.target, node.policies[chan_id])
        if step.status is StepStatus.RESTORED:
            assert step.backup is not None and matches(step.backup, node.policies[chan_id])
    statuses = change_statuses(store)
    for step in steps.values():
        if step.policy_change_id is not None:
            expected = ChangeStatus.APPLIED if step.status is StepStatus.VERIFIED else ChangeStatus.ROLLED_BACK
            assert statuses[step.policy_change_id] == expected.value, step


def change_statuses(store: Store) -> dict[int, str]:
    """policy_changes id -> status, read with plain SQL."""
    from sqlalchemy import text

    with store._engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(text("SELECT id, status FROM policy_changes"))}


def sqlite_store_at(tmp_path: Path) -> Iterator[Store]:
    """An open store on a SQLite file in ``tmp_path``, closed after use (body of the modules' fixtures)."""
    opened = open_store(f"sqlite:///{tmp_path / 'exec.sqlite3'}", default_dir=tmp_path)
    try:
        yield opened
    finally:
        opened.close()
