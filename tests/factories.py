"""Factories for the values runs produce and the store keeps, with realistic defaults.

Each is a plain function; keyword overrides replace any field of the value it builds.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.decision import Decision, DecisionType, WeightedScore
from mcp_lightning.engine.plan import ChannelFacts, PlannedDecision, RunSummary, SafetyResult, Verdict
from mcp_lightning.units import Msat, Ppm

EVALUATED_AT = datetime(2025, 10, 26, 12, 0, tzinfo=UTC)
OUR_PUBKEY = "02c095d069538f96bf14c5f90f6c0851bdf354a0ec86039a24bf38a73f705adc2c"
PEER_PUBKEY = "03864ef025fde8fb587d989186ce6a4a186895ee44a926bfc370e2c366597a3f8f"
SCID = ShortChannelId(880_000, 1234, 1)


def make_policy(**overrides: Any) -> Policy:
    """Our outbound policy: 1 sat base, 500 ppm, a 50 ppm inbound discount, updated a day ago."""
    base = Policy(
        base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(500), time_lock_delta=80, min_htlc_msat=Msat(1000),
        max_htlc_msat=Msat(4_950_000_000), inbound_base_fee_msat=Msat(0), inbound_fee_rate_ppm=Ppm(-50),
        disabled=False, last_update_at=EVALUATED_AT - timedelta(days=1),
    )
    return replace(base, **overrides)


def make_decision(**overrides: Any) -> Decision:
    """Raise a drained channel's fee rate from 500 to 650 ppm, on two heuristics."""
    base = Decision(
        chan_id=SCID.chan_id, scid=str(SCID), peer_pubkey=PEER_PUBKEY, decision=DecisionType.INCREASE_FEES,
        confidence=0.82, composite_score=0.31,
        scores=(
            WeightedScore("liquidity_balance", 0.12, 0.6,
                          "Local balance is 9% of capacity, below the 20% floor."),
            WeightedScore("forward_activity", 0.6, 0.4, "14 forwards in 7 days, near the network median."),
        ),
        reasons=("Outbound liquidity is scarce: raise the price of what is left.",),
        current=make_policy(), proposed=make_policy(fee_rate_ppm=Ppm(650)),
    )
    return replace(base, **overrides)


def make_facts(**overrides: Any) -> ChannelFacts:
    """A 5 M sat channel with 9% local balance and a week of modest forwarding."""
    base = ChannelFacts(capacity_sat=5_000_000, local_ratio=0.09, n_forwards_7d=14, fee_7d_msat=8_400_123,
                        peer_alias="ACINQ", active=True, in_graph=True)
    return replace(base, **overrides)


def make_planned(**overrides: Any) -> PlannedDecision:
    """``make_decision()`` allowed unchanged by the safety chain."""
    decision = overrides.pop("decision", None) or make_decision()
    safety = overrides.pop("safety", None) or SafetyResult(Verdict.ALLOWED, proposed=decision.proposed)
    base = PlannedDecision(decision=decision, safety=safety, facts=make_facts(), inputs_fingerprint="ab" * 32)
    return replace(base, **overrides)


def make_run(**overrides: Any) -> RunSummary:
    """A shadow run of our node on the 2025-10-26 graph, with a fresh uuid4 run id."""
    base = RunSummary(
        run_id=uuid.uuid4().hex, started_at=EVALUATED_AT, finished_at=EVALUATED_AT + timedelta(seconds=42),
        evaluated_at=EVALUATED_AT, mode="shadow", profile="balanced", node_pubkey=OUR_PUBKEY,
        node_alias="loudtoll", node_source="data/nodes/cln-loudtoll",
        graph_source="data/graph/describegraph_2025-10-26.json.gz",
        graph_fingerprint="cd" * 32, config_fingerprint="ef" * 32, n_channels=1, n_skipped=0,
        decision_counts={"INCREASE_FEES": 1},
    )
    return replace(base, **overrides)
