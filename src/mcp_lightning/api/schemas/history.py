"""Response models of recorded runs, decisions, recommendations and policy changes.

They describe exactly the JSON of ``reporting.serialize`` (``run_dict``, ``planned_dict``,
``policy_dict``), the contract shared with ``mcpln run --json`` and ``mcpln history --json``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mcp_lightning.api.schemas.common import Model


class RunOut(Model):
    """A recorded run (``run_dict``)."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    evaluated_at: datetime
    mode: str
    profile: str
    node_pubkey: str
    node_alias: str
    node_source: str
    graph_source: str
    graph_fingerprint: str
    config_fingerprint: str
    n_channels: int
    n_skipped: int
    decision_counts: dict[str, int]


class RunsOut(Model):
    """Recorded runs, newest first."""

    runs: list[RunOut]


class PolicyOut(Model):
    """A routing policy with unit-suffixed keys (``policy_dict``)."""

    base_fee_msat: int
    fee_rate_ppm: int
    time_lock_delta: int
    min_htlc_msat: int
    max_htlc_msat: int | None
    inbound_base_fee_msat: int
    inbound_fee_rate_ppm: int
    disabled: bool
    last_update_at: datetime | None


class WeightedScoreOut(Model):
    """A heuristic's score in a decision."""

    value: float
    weight: float
    reason: str


class SafetyOut(Model):
    """What the safety chain made of the proposal."""

    verdict: str
    rule: str | None
    reason: str | None
    notes: list[str]
    policy: PolicyOut | None = Field(description="The policy that would be sent after the safety rules.")


class RebalanceOut(Model):
    """A suggested rebalance."""

    amount_sat: int
    direction: str
    target_local_ratio: float


class FactsOut(Model):
    """The observed figures a decision was made on."""

    capacity_sat: int
    local_ratio: float
    n_forwards_7d: int
    fee_7d_msat: int
    active: bool
    in_graph: bool
    unserved_out_7d: int | None = Field(
        None, ge=0, description="Outbound HTLCs offered but not fulfilled in about 7 days; null when unknown."
    )


class DecisionOut(Model):
    """A recorded decision (``planned_dict`` plus the run and the time it was made for)."""

    run_id: str
    created_at: datetime
    chan_id: str
    scid: str | None
    peer_pubkey: str
    peer_alias: str | None
    decision: str
    confidence: float
    composite_score: float
    scores: dict[str, WeightedScoreOut]
    reasons: list[str]
    current: PolicyOut | None
    proposed: PolicyOut | None
    safety: SafetyOut
    rebalance: RebalanceOut | None
    close_reason: str | None
    facts: FactsOut
    inputs_fingerprint: str


class RunDecisionsOut(Model):
    """One run and its decisions in plan order."""

    run: RunOut
    decisions: list[DecisionOut]


class ChannelDecisionsOut(Model):
    """The most recent decisions about one channel, newest first."""

    chan_id: str
    decisions: list[DecisionOut]


class RecommendationsOut(Model):
    """The actionable decisions of a node's latest recorded run, at or above ``min_confidence``."""

    node_pubkey: str
    min_confidence: float
    run: RunOut
    n_decisions: int = Field(description="Decisions in the run, before filtering.")
    recommendations: list[DecisionOut]


class PolicyChangeOut(Model):
    """A policy change sent to a node."""

    chan_id: str
    applied_at: datetime
    old: PolicyOut | None
    new: PolicyOut
    run_id: str | None


class PolicyChangesOut(Model):
    """Policy changes applied since ``since``, oldest first."""

    since: datetime
    changes: list[PolicyChangeOut]
