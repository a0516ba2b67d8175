"""Backup retention: which tier a backup belongs in at a given age. Pure.

| age            | tier   | storage                                  |
|----------------|--------|------------------------------------------|
| < 7 days       | hot    | plain JSON, restored instantly           |
| 7 to < 30 days | warm   | gzip-compressed payload                  |
| 30 to < 90 days| cold   | gzip at the highest level                |
| >= 90 days     | (none) | deleted by ``prune`` (unless still used) |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_lightning.execution.model import Tier

TIER_LIMITS: tuple[tuple[timedelta, Tier], ...] = (
    (timedelta(days=7), Tier.HOT),
    (timedelta(days=30), Tier.WARM),
    (timedelta(days=90), Tier.COLD),
)
"""Upper age bound (exclusive) of each tier, youngest first; older backups are deleted."""


def retention_tier(age: timedelta) -> Tier | None:
    """The tier a backup of this age belongs in, or None when it is due for deletion.

    Args:
        age: time since the backup was taken; a negative age (clock skew) counts as new.

    Returns:
        HOT below 7 days, WARM from 7 to under 30, COLD from 30 to under 90, None from 90 days.
    """
    for limit, tier in TIER_LIMITS:
        if age < limit:
            return tier
    return None


def tier_at(created_at: datetime, now: datetime) -> Tier | None:
    """``retention_tier`` of a backup taken at ``created_at`` (UTC), seen at ``now`` (UTC)."""
    return retention_tier(now - created_at)
