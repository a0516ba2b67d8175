"""Automatic rollback triggers: compare forwarding health before and after a change. Pure.

The seed's rules, evaluated once the 5-minute window after the change is complete:

| rule          | fires when                                                                    |
|---------------|-------------------------------------------------------------------------------|
| success_drop  | the forward success rate fell by more than 20 % of its value before           |
| error_spike   | the error rate rose by more than 50 % of its value before, and by at least    |
|               | 2 points (so one failed HTLC on an idle node is not a spike)                  |

A window with fewer than ``min_attempts`` forward attempts proves nothing: the verdict is KEEP with
that reason. The current time is an argument; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class MetricsWindow:
    """Forward attempts seen in a time window.

    Attributes:
        start_at: UTC start (inclusive).
        end_at: UTC end (exclusive).
        n_attempts: HTLCs offered to us for forwarding (>= 0).
        n_succeeded: of those, settled.
        n_errors: of those, failed on our side (fee insufficient, link failure, ...).
    """

    start_at: datetime
    end_at: datetime
    n_attempts: int
    n_succeeded: int
    n_errors: int

    @property
    def success_ratio(self) -> float:
        """Settled share of attempts in [0, 1] (0 without attempts)."""
        return self.n_succeeded / self.n_attempts if self.n_attempts else 0.0

    @property
    def error_ratio(self) -> float:
        """Failed share of attempts in [0, 1] (0 without attempts)."""
        return self.n_errors / self.n_attempts if self.n_attempts else 0.0


@dataclass(frozen=True, slots=True)
class TriggerThresholds:
    """When a change is rolled back automatically.

    Attributes:
        window: how long after the change the "after" window runs (5 min).
        max_success_drop_ratio: largest tolerated relative fall of the success rate (0.2 = 20 %).
        max_error_rise_ratio: largest tolerated relative rise of the error rate (0.5 = 50 %).
        min_error_rise: an error spike must also add this much to the error rate, in [0, 1].
        min_attempts: fewer attempts in either window decide nothing.
    """

    window: timedelta = timedelta(minutes=5)
    max_success_drop_ratio: float = 0.2
    max_error_rise_ratio: float = 0.5
    min_error_rise: float = 0.02
    min_attempts: int = 10


class TriggerAction(StrEnum):
    """What to do with the change."""

    WAIT = "wait"  # the window after the change is not complete yet
    KEEP = "keep"  # no rule fired (or too little traffic to tell)
    ROLL_BACK = "roll_back"  # a rule fired: put the change back


@dataclass(frozen=True, slots=True)
class TriggerVerdict:
    """The decision and its one-sentence reason (recorded on the rollback)."""

    action: TriggerAction
    reason: str
    rule: str | None = None


def evaluate_trigger(before: MetricsWindow, after: MetricsWindow, changed_at: datetime, now: datetime,
                     thresholds: TriggerThresholds = TriggerThresholds()) -> TriggerVerdict:
    """Decide whether a change must be rolled back from forwarding health around it.

    Args:
        before: a window that ends at or before ``changed_at``.
        after: the window starting at ``changed_at``, ``thresholds.window`` long.
        changed_at: when the change was applied, UTC.
        now: the current time, UTC.
        thresholds: the rules' limits.

    Returns:
        WAIT until ``now >= changed_at + window``; then ROLL_BACK with the rule and the figures when
        a rule fires, else KEEP.

    Raises:
        ValueError: when the windows are not placed around the change as described.
    """
    if before.end_at > changed_at or after.start_at < changed_at:
        raise ValueError("the 'before' window must end by the change and the 'after' window start at it")
    if now < changed_at + thresholds.window:
        left_s = (changed_at + thresholds.window - now).total_seconds()
        return TriggerVerdict(TriggerAction.WAIT, f"the {_minutes(thresholds.window)} window after the change "
                                                  f"ends in {left_s:.0f} s")
    if min(before.n_attempts, after.n_attempts) < thresholds.min_attempts:
        return TriggerVerdict(TriggerAction.KEEP, (
            f"too little traffic to judge: {before.n_attempts} attempts before, {after.n_attempts} after "
            f"(at least {thresholds.min_attempts} each needed)"))
    return _success_drop(before, after, thresholds) or _error_spike(before, after, thresholds) or TriggerVerdict(
        TriggerAction.KEEP, (f"success rate {before.success_ratio:.0%} -> {after.success_ratio:.0%}, "
                             f"error rate {before.error_ratio:.0%} -> {after.error_ratio:.0%}: within limits"))


def _exact(value: float) -> Fraction:
    """A threshold as the decimal it was written as (0.2 is exactly 1/5), so a boundary is not a float accident."""
    return Fraction(str(value))


def _success_drop(before: MetricsWindow, after: MetricsWindow, t: TriggerThresholds) -> TriggerVerdict | None:
    if before.n_succeeded <= 0:
        return None
    rate_before = Fraction(before.n_succeeded, before.n_attempts)
    exact_drop = (rate_before - Fraction(after.n_succeeded, after.n_attempts)) / rate_before
    if exact_drop <= _exact(t.max_success_drop_ratio):
        return None
    drop = float(exact_drop)
    return TriggerVerdict(TriggerAction.ROLL_BACK, (
        f"forward success rate fell from {before.success_ratio:.1%} to {after.success_ratio:.1%} "
        f"({drop:.0%} lower, limit {t.max_success_drop_ratio:.0%}) in the {_minutes(t.window)} after the change"),
        rule="success_drop")


def _error_spike(before: MetricsWindow, after: MetricsWindow, t: TriggerThresholds) -> TriggerVerdict | None:
    rate_before = Fraction(before.n_errors, before.n_attempts)
    exact_rise = Fraction(after.n_errors, after.n_attempts) - rate_before
    if exact_rise < _exact(t.min_error_rise):
        return None
    if rate_before > 0 and exact_rise / rate_before <= _exact(t.max_error_rise_ratio):
        return None
    rise = float(exact_rise)
    relative = f"{rise / before.error_ratio:.0%} higher" if before.error_ratio > 0 else "up from none"
    return TriggerVerdict(TriggerAction.ROLL_BACK, (
        f"error rate rose from {before.error_ratio:.1%} to {after.error_ratio:.1%} ({relative}, limit "
        f"{t.max_error_rise_ratio:.0%}) in the {_minutes(t.window)} after the change"), rule="error_spike")


def _minutes(window: timedelta) -> str:
    return f"{window.total_seconds() / 60:g} min"
