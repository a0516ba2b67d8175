"""Automatic rollback triggers and backup retention tiers: pure functions of their inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_lightning.execution.model import Tier
from mcp_lightning.execution.retention import retention_tier, tier_at
from mcp_lightning.execution.triggers import MetricsWindow, TriggerAction, evaluate_trigger

CHANGED_AT = datetime(2026, 7, 7, 4, 0, tzinfo=UTC)
AFTER_WINDOW = CHANGED_AT + timedelta(minutes=5)


def windows(before: tuple[int, int, int], after: tuple[int, int, int]) -> tuple[MetricsWindow, MetricsWindow]:
    """(attempts, succeeded, errors) before and after the change, 5 minutes each."""
    return (MetricsWindow(CHANGED_AT - timedelta(minutes=5), CHANGED_AT, *before),
            MetricsWindow(CHANGED_AT, AFTER_WINDOW, *after))


def test_waits_until_the_five_minutes_after_the_change_are_over() -> None:
    """Before changed_at + 5 min the verdict is WAIT, whatever the figures."""
    before, after = windows((100, 95, 5), (100, 10, 90))
    verdict = evaluate_trigger(before, after, CHANGED_AT, CHANGED_AT + timedelta(minutes=4, seconds=59))
    assert verdict.action is TriggerAction.WAIT and "ends in 1 s" in verdict.reason


def test_a_success_rate_drop_of_more_than_20_percent_rolls_back() -> None:
    """90% -> 70% is a 22% relative drop: ROLL_BACK with the rule and both rates in the reason."""
    before, after = windows((100, 90, 10), (100, 70, 10))
    verdict = evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW)
    assert verdict.action is TriggerAction.ROLL_BACK and verdict.rule == "success_drop"
    assert "from 90.0% to 70.0% (22% lower, limit 20%)" in verdict.reason


def test_a_success_rate_drop_of_exactly_20_percent_is_kept() -> None:
    """90% -> 72% is exactly 20% lower: within the limit (no float rounding at the boundary)."""
    before, after = windows((100, 90, 10), (100, 72, 10))
    assert evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW).action is TriggerAction.KEEP


def test_an_error_rate_rise_of_exactly_50_percent_is_kept() -> None:
    """Errors 10% -> 15% is exactly 50% higher: within the limit."""
    before, after = windows((100, 90, 10), (100, 85, 15))
    assert evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW).action is TriggerAction.KEEP


def test_an_error_rate_spike_of_more_than_50_percent_rolls_back() -> None:
    """Errors 10% -> 16% is 60% higher: ROLL_BACK by error_spike (success barely moved)."""
    before, after = windows((100, 90, 10), (100, 84, 16))
    verdict = evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW)
    assert verdict.action is TriggerAction.ROLL_BACK and verdict.rule == "error_spike"
    assert "from 10.0% to 16.0% (60% higher, limit 50%)" in verdict.reason


def test_errors_appearing_from_none_need_at_least_two_points_to_count() -> None:
    """0% -> 1% errors is noise (below the 2-point floor); 0% -> 5% is a spike."""
    before, after = windows((100, 100, 0), (100, 99, 1))
    assert evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW).action is TriggerAction.KEEP
    before, after = windows((100, 100, 0), (100, 95, 5))
    verdict = evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW)
    assert verdict.rule == "error_spike" and "up from none" in verdict.reason


def test_too_little_traffic_decides_nothing() -> None:
    """With fewer than 10 attempts in a window the change is kept, with the counts in the reason."""
    before, after = windows((9, 9, 0), (50, 0, 50))
    verdict = evaluate_trigger(before, after, CHANGED_AT, AFTER_WINDOW)
    assert verdict.action is TriggerAction.KEEP and "9 attempts before, 50 after" in verdict.reason


def test_windows_that_do_not_surround_the_change_are_refused() -> None:
    """A 'before' window ending after the change raises ValueError."""
    _, after = windows((100, 90, 10), (100, 90, 10))
    late = MetricsWindow(CHANGED_AT, AFTER_WINDOW, 100, 90, 10)
    with pytest.raises(ValueError, match="before"):
        evaluate_trigger(late, after, CHANGED_AT, AFTER_WINDOW)


@pytest.mark.parametrize(("days", "tier"), [
    (0, Tier.HOT), (6.99, Tier.HOT), (7, Tier.WARM), (29.99, Tier.WARM), (30, Tier.COLD), (89.99, Tier.COLD),
    (90, None), (400, None), (-1, Tier.HOT),
])
def test_retention_tier_follows_the_age_boundaries(days: float, tier: Tier | None) -> None:
    """Hot below 7 days, warm below 30, cold below 90, deleted from 90 (bounds inclusive on the older tier)."""
    assert retention_tier(timedelta(days=days)) is tier
    assert tier_at(CHANGED_AT - timedelta(days=days), CHANGED_AT) is tier


@given(st.floats(min_value=0, max_value=365), st.floats(min_value=0, max_value=365))
def test_an_older_backup_is_never_in_a_hotter_tier(days_a: float, days_b: float) -> None:
    """Tiers only move hot -> warm -> cold -> deleted as a backup ages."""
    order = {Tier.HOT: 0, Tier.WARM: 1, Tier.COLD: 2, None: 3}
    young, old = sorted((days_a, days_b))
    assert order[retention_tier(timedelta(days=young))] <= order[retention_tier(timedelta(days=old))]
