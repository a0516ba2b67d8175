"""The store records applied policy changes and returns those since a moment, for cooldowns and caps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mcp_lightning.adapters.store import Store
from mcp_lightning.engine.plan import PolicyChange
from mcp_lightning.errors import StoreError
from mcp_lightning.units import Ppm
from tests.factories import EVALUATED_AT, OUR_PUBKEY, make_planned, make_policy, make_run

OTHER_NODE = "03" + "22" * 32


def make_change(hours: float, **overrides: object) -> PolicyChange:
    """A change of the default channel from 500 to 650 ppm, ``hours`` after EVALUATED_AT."""
    fields: dict[str, object] = {
        "chan_id": make_planned().decision.chan_id, "applied_at": EVALUATED_AT + timedelta(hours=hours),
        "old": make_policy(), "new": make_policy(fee_rate_ppm=Ppm(650)), "run_id": None,
    }
    fields.update(overrides)
    return PolicyChange(**fields)  # type: ignore[arg-type]


def test_returns_changes_since_a_moment_oldest_first_bound_included(store: Store) -> None:
    """policy_changes_since keeps changes at or after ``since``, oldest first, equal to what was recorded."""
    run = make_run()
    store.record_run(run, [make_planned()])
    changes = [make_change(3, run_id=run.run_id), make_change(-3), make_change(1, old=None), make_change(0)]
    for change in changes:
        store.record_policy_change(change, OUR_PUBKEY, "applied")

    since = store.policy_changes_since(EVALUATED_AT)
    assert since == [changes[3], changes[2], changes[0]]
    assert store.policy_changes_since(EVALUATED_AT + timedelta(hours=4)) == []


def test_filters_policy_changes_by_node(store: Store) -> None:
    """With node_pubkey, only the changes sent to that node are returned; without it, all of them."""
    ours, theirs = make_change(1), make_change(2, new=make_policy(fee_rate_ppm=Ppm(10)))
    store.record_policy_change(ours, OUR_PUBKEY, "applied")
    store.record_policy_change(theirs, OTHER_NODE, "rolled_back")

    assert store.policy_changes_since(EVALUATED_AT, node_pubkey=OTHER_NODE) == [theirs]
    assert store.policy_changes_since(EVALUATED_AT) == [ours, theirs]


def test_a_policy_change_must_name_a_recorded_run(store: Store) -> None:
    """A run_id that names no recorded run is refused (foreign keys are enforced on SQLite too)."""
    with pytest.raises(StoreError, match=r"(?i)foreign key"):
        store.record_policy_change(make_change(0, run_id="f" * 32), OUR_PUBKEY, "applied")
    assert store.policy_changes_since(EVALUATED_AT - timedelta(days=1)) == []
