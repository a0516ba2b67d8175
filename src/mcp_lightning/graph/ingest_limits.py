"""Limits that decide what graph ingest keeps, drops or refuses, with their defaults and reasons."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_lightning.domain.channel import Policy
from mcp_lightning.units import PPM_DENOMINATOR


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """What graph ingest treats as absurd, stale, a zombie, or a broken file.

    Attributes:
        max_fee_rate_ppm: largest plausible fee_rate_ppm; default 999,999 because a rate of
            1,000,000 ppm or more charges at least the forwarded amount itself (this catches the
            4,294,967,295 ppm "never route through me" sentinel). A policy above it is dropped.
        max_base_fee_msat: largest plausible base_fee_msat; default 100,000,000 msat (100,000 sat),
            a fee larger than most payments on its own (catches 2,147,483,647 and 4,294,967,295).
        max_time_lock_delta: largest plausible CLTV delta, blocks; default 2016 (two weeks of
            blocks): a longer delta would lock every HTLC through the hop for weeks.
        stale_after_days: a policy whose last update is older than this before the snapshot time
            is stale; default 14, LND's zombie horizon (``DefaultChannelPruneExpiry``, two weeks).
        keep_zombies: keep channels whose both directions are stale or missing; default False,
            because LND prunes them from its graph.
        max_future_skew_days: an update stamped more than this after the 99th percentile of all
            update times is treated as an absurd value (a broken clock) so that it cannot move the
            snapshot time; default 1.0. Applied only when the file holds at least
            ``min_updates_for_skew_check`` timestamps.
        min_updates_for_skew_check: see ``max_future_skew_days``; default 100.
        max_bad_ratio: above this share of malformed records (or of absurd policies) the file is
            refused as a whole instead of being skipped record by record; default 0.5.
        n_examples: how many ``(item, reason)`` examples the report keeps; default 20.

    Source: BOLT 7 ``channel_update`` fields and its advice to discard updates stamped far in the
    future; LND's zombie pruning (a channel whose both directions are older than two weeks).
    """

    max_fee_rate_ppm: int = PPM_DENOMINATOR - 1
    max_base_fee_msat: int = 100_000_000
    max_time_lock_delta: int = 2016
    stale_after_days: float = 14.0
    keep_zombies: bool = False
    max_future_skew_days: float = 1.0
    min_updates_for_skew_check: int = 100
    max_bad_ratio: float = 0.5
    n_examples: int = 20

    def policy_problem(self, policy: Policy) -> tuple[str, int, str] | None:
        """Why ``policy`` is absurd, or None when every value is plausible.

        Args:
            policy: a policy in our units.

        Returns:
            ``(field, value, reason)`` with our field name (e.g. ``"fee_rate_ppm"``), or None.
        """
        if (0 <= policy.fee_rate_ppm <= self.max_fee_rate_ppm and 0 <= policy.base_fee_msat <= self.max_base_fee_msat
                and 0 <= policy.time_lock_delta <= self.max_time_lock_delta and policy.min_htlc_msat >= 0
                and (policy.max_htlc_msat is None or policy.max_htlc_msat >= 0)):
            return None  # the common case, checked without building tuples
        checks: tuple[tuple[str, int, int], ...] = (
            ("fee_rate_ppm", policy.fee_rate_ppm, self.max_fee_rate_ppm),
            ("base_fee_msat", policy.base_fee_msat, self.max_base_fee_msat),
            ("time_lock_delta", policy.time_lock_delta, self.max_time_lock_delta),
        )
        for name, value, ceiling in checks:
            if value > ceiling:
                return name, value, f"above the limit {ceiling:,}"
        htlc_limits: tuple[tuple[str, int | None], ...] = (
            ("min_htlc_msat", policy.min_htlc_msat), ("max_htlc_msat", policy.max_htlc_msat))
        for name, limit in htlc_limits:
            if limit is not None and limit < 0:
                return name, limit, "negative"
        for name, value, _ in checks:
            if value < 0:
                return name, value, "negative"
        return None

    def fee_usable(self, policy: Policy | None) -> bool:
        """True when ``policy`` exists, is enabled and has no absurd value (fit for fee statistics)."""
        return policy is not None and not policy.disabled and self.policy_problem(policy) is None


DEFAULT_LIMITS = IngestLimits()
"""The documented defaults, shared as the default argument of ingest and statistics functions."""
