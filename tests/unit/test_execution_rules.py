"""Pure execution rules: plan -> targets, rollout stages, cooldown at send time, verification,
write-and-verify retries against the in-memory node, rollback targets and transaction status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.engine.plan import SafetyResult, Verdict
from mcp_lightning.errors import KillSwitchEngaged
from mcp_lightning.execution.channel_ops import RetryPolicy, matches, read_policy, write_verified
from mcp_lightning.execution.fake_node import FakeNode, Fault, FaultKind, NodeStep
from mcp_lightning.execution.journal import tx_status
from mcp_lightning.execution.model import ChannelStep, ChannelTarget, StepStatus, TxReport, TxStatus
from mcp_lightning.execution.rollback import rollback_targets, undone_status
from mcp_lightning.execution.selection import Rollout, apply_cooldown, apply_rollout, targets_from_plan
from mcp_lightning.units import Msat, Ppm
from tests.factories import OUR_PUBKEY, make_decision, make_planned, make_policy

NOW = datetime(2026, 7, 7, 4, 0, tzinfo=UTC)
NO_WAIT = RetryPolicy(delay_s=0)


def target(chan_id: int, ppm: int = 650) -> ChannelTarget:
    """A change of ``chan_id`` from 500 to ``ppm`` ppm."""
    return ChannelTarget(chan_id, make_policy(fee_rate_ppm=Ppm(ppm)), make_policy())


def test_only_allowed_or_adjusted_proposals_become_targets() -> None:
    """Rejected and not-applicable decisions are never sent; an adjusted one sends the clamped policy."""
    clamped = make_policy(fee_rate_ppm=Ppm(600))
    planned = [
        make_planned(),
        make_planned(decision=make_decision(chan_id=2), safety=SafetyResult(Verdict.ADJUSTED, proposed=clamped)),
        make_planned(decision=make_decision(chan_id=3), safety=SafetyResult(Verdict.REJECTED, rule="cooldown")),
        make_planned(decision=make_decision(chan_id=4, proposed=None), safety=SafetyResult(Verdict.NOT_APPLICABLE)),
    ]
    targets = targets_from_plan(planned)
    assert [(t.chan_id, t.target.fee_rate_ppm) for t in targets] == [(planned[0].decision.chan_id, 650), (2, 600)]
    assert targets[1].expected == make_policy()


@pytest.mark.parametrize(("stage", "n_chosen"), [(1, 1), (3, 3), (5, 5), (None, 6)])
def test_rollout_stages_let_through_the_first_n_allowed_channels(stage: int | None, n_chosen: int) -> None:
    """Stage N lets the first N allow-listed channels change; channels off the list never change."""
    allow = (60, 50, 40, 30, 20, 10)
    chosen, held = apply_rollout([target(c) for c in (10, 20, 30, 40, 50, 60, 70)], Rollout(allow, stage))
    assert {t.chan_id for t in chosen} == set(allow[:n_chosen])
    assert len(held) == 7 - n_chosen
    assert next(r for t, r in held if t.chan_id == 70).startswith("not in the rollout allow-list")


def test_rollout_without_an_allow_list_counts_channels_in_chan_id_order() -> None:
    """Without a list, stage 3 picks the three lowest chan_ids of the plan."""
    chosen, _ = apply_rollout([target(c) for c in (9, 3, 7, 1)], Rollout(None, 3))
    assert sorted(t.chan_id for t in chosen) == [1, 3, 7]


def test_a_rollout_stage_other_than_1_3_5_or_all_is_refused() -> None:
    """Stage 2 raises ValueError."""
    with pytest.raises(ValueError, match="not one of 1, 3, 5 or all"):
        Rollout(None, 2)


def test_cooldown_and_daily_cap_are_checked_against_recorded_changes() -> None:
    """A change 30 min ago blocks (cooldown 1 h); five in 24 h block (daily cap); others pass."""
    limits = SafetyLimits(cooldown_s=3600, max_changes_per_day=5)
    recent = {1: [NOW - timedelta(minutes=30)], 2: [NOW - timedelta(hours=h) for h in (2, 4, 6, 8, 10)],
              3: [NOW - timedelta(hours=2)]}
    chosen, refused = apply_cooldown([target(1), target(2), target(3)], limits, NOW, recent)
    assert [t.chan_id for t in chosen] == [3]
    assert [(t.chan_id, r.split(":")[0]) for t, r in refused] == [(1, "cooldown"), (2, "daily_cap")]


def test_verification_ignores_the_node_timestamp_the_disabled_flag_and_unset_max_htlc() -> None:
    """A read-back differing only in last_update_at, disabled or (when not set) max_htlc still matches."""
    sent = make_policy(fee_rate_ppm=Ppm(650), max_htlc_msat=None)
    seen = replace(sent, last_update_at=NOW, disabled=True, max_htlc_msat=Msat(10**9))
    assert matches(sent, seen)
    assert not matches(sent, replace(seen, fee_rate_ppm=Ppm(651)))
    assert not matches(sent, replace(seen, inbound_fee_rate_ppm=Ppm(0)))
    assert matches(sent, replace(seen, inbound_fee_rate_ppm=Ppm(0)), inbound=False)


def test_write_verified_retries_until_the_node_shows_the_target() -> None:
    """A write accepted but not applied is sent again and then verified."""
    node = FakeNode(OUR_PUBKEY, {1: make_policy()}, [Fault(NodeStep.APPLY, FaultKind.NOT_APPLIED)])
    result = write_verified(node, 1, make_policy(fee_rate_ppm=Ppm(650)), NO_WAIT, lambda: None)
    assert result.verified and result.n_attempts == 2 and node.policies[1].fee_rate_ppm == 650


def test_write_verified_gives_up_after_the_attempts_with_the_last_error() -> None:
    """A node refusing every write yields an unverified result naming the failure, after 3 attempts."""
    node = FakeNode(OUR_PUBKEY, {1: make_policy()}, [Fault(NodeStep.APPLY, FaultKind.HTTP_5XX, times=None)])
    result = write_verified(node, 1, make_policy(fee_rate_ppm=Ppm(650)), NO_WAIT, lambda: None)
    assert not result.verified and result.n_attempts == 3 and "HTTP 503" in (result.error or "")
    assert result.observed == make_policy()


def test_the_write_guard_runs_before_every_write_and_can_stop_it() -> None:
    """The before-write check raising KillSwitchEngaged stops the write before it is sent."""
    node = FakeNode(OUR_PUBKEY, {1: make_policy()})

    def engaged() -> None:
        raise KillSwitchEngaged("stop")

    with pytest.raises(KillSwitchEngaged):
        write_verified(node, 1, make_policy(fee_rate_ppm=Ppm(650)), NO_WAIT, engaged)
    assert node.writes == []


def test_read_policy_retries_a_failed_read() -> None:
    """One connection reset is absorbed; three in a row give the error."""
    node = FakeNode(OUR_PUBKEY, {1: make_policy()}, [Fault(NodeStep.BACKUP_READ, FaultKind.CONNECTION_RESET)])
    assert read_policy(node, 1, NO_WAIT).policy == make_policy()
    node.faults = [Fault(NodeStep.BACKUP_READ, FaultKind.CONNECTION_RESET, times=3)]
    assert "connection reset" in (read_policy(node, 1, NO_WAIT).error or "")


def step(chan_id: int, status: StepStatus, *, sent: bool = True) -> ChannelStep:
    """A step of transaction "t" at ``status``."""
    return ChannelStep("t", chan_id, chan_id, status, make_policy(fee_rate_ppm=Ppm(650)), make_policy(),
                       make_policy(), None, None, 1 if sent else 0, chan_id if sent else None, None, NOW)


@pytest.mark.parametrize(("statuses", "atomic", "failure", "halted", "expected"), [
    ([StepStatus.VERIFIED, StepStatus.VERIFIED], True, None, None, TxStatus.SUCCESS),
    ([StepStatus.RESTORED, StepStatus.RESTORED], True, "boom", None, TxStatus.ROLLED_BACK),
    ([StepStatus.VERIFIED, StepStatus.FAILED], True, "boom", None, TxStatus.PENDING),
    ([StepStatus.VERIFIED, StepStatus.RESTORED], False, "boom", None, TxStatus.PARTIAL),
    ([StepStatus.VERIFIED, StepStatus.APPLIED], True, None, None, TxStatus.PENDING),
    ([StepStatus.VERIFIED], True, None, "kill switch", TxStatus.PARTIAL),
])
def test_a_transaction_ends_by_the_state_of_its_channels(statuses: list[StepStatus], atomic: bool,
                                                         failure: str | None, halted: str | None,
                                                         expected: TxStatus) -> None:
    """Open while any written channel is unsettled; else SUCCESS, ROLLED_BACK or PARTIAL by the mix."""
    steps = [step(i, s) for i, s in enumerate(statuses)]
    assert tx_status(steps, atomic=atomic, failure=failure, halted=halted) is expected


def test_a_batch_that_sent_nothing_and_failed_is_failed() -> None:
    """No channel sent and a failure: FAILED, not ROLLED_BACK."""
    assert tx_status([step(0, StepStatus.SKIPPED, sent=False)], atomic=True, failure="backup",
                     halted=None) is TxStatus.FAILED


def test_rollback_targets_put_verified_channels_back_to_the_backup() -> None:
    """Only verified channels are undone, each to its backup policy, with the drift check unless forced."""
    from mcp_lightning.execution.model import Mode, Transaction, TxKind

    tx = Transaction("t", TxKind.APPLY, Mode.AUTO, TxStatus.SUCCESS, OUR_PUBKEY, None, None, 1, True, None, NOW, NOW)
    report = TxReport(tx, (step(1, StepStatus.VERIFIED), step(2, StepStatus.RESTORED), step(3, StepStatus.VERIFIED)))
    backup = {1: make_policy(), 2: make_policy(), 3: make_policy(base_fee_msat=Msat(7))}

    targets, skipped = rollback_targets(report, backup)
    assert [(t.chan_id, t.target, t.expected) for t in targets] == [
        (1, make_policy(), report.steps[0].target), (3, backup[3], report.steps[2].target)]
    assert skipped == []
    forced, _ = rollback_targets(report, backup, chan_ids={3}, force=True)
    assert [(t.chan_id, t.expected) for t in forced] == [(3, None)]
    done = TxReport(tx, (step(1, StepStatus.VERIFIED),))
    assert undone_status(report, done) is TxStatus.PARTIAL
