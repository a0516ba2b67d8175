"""The values a run produces: safety results, planned decisions and the run summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mcp_lightning.domain.channel import HtlcCounters, Policy
from mcp_lightning.domain.decision import Decision


class Verdict(StrEnum):
    """Outcome of the safety chain for one decision."""

    ALLOWED = "allowed"  # the proposal passed every rule unchanged
    ADJUSTED = "adjusted"  # a rule clamped the proposal (bounds or step size); the clamped one passes
    REJECTED = "rejected"  # a rule refused the change; nothing would be sent
    NOT_APPLICABLE = "not_applicable"  # the decision proposes no policy change


@dataclass(frozen=True, slots=True)
class SafetyResult:
    """What the safety chain made of a decision's proposal.

    Attributes:
        verdict: the outcome.
        proposed: the policy that would be sent (after clamps); None when rejected or not applicable.
        notes: one sentence per adjustment made, in rule order.
        rule: name of the rule that rejected, when rejected.
        reason: why it rejected, with values and units.
    """

    verdict: Verdict
    proposed: Policy | None = None
    notes: tuple[str, ...] = ()
    rule: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """The observed figures shown beside a decision (table, report, history)."""

    capacity_sat: int
    local_ratio: float
    n_forwards_7d: int
    fee_7d_msat: int
    peer_alias: str | None
    active: bool
    in_graph: bool
    htlc_counters: HtlcCounters | None = None  # lifetime counters read now (the next runs' baseline)
    unserved_out_7d: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedDecision:
    """A decision with its safety result and the fingerprint of its inputs.

    Attributes:
        decision: the engine's decision.
        safety: the safety chain's result.
        facts: the observed figures the decision was made on.
        inputs_fingerprint: sha256 hex of the channel context (same inputs -> same fingerprint).
    """

    decision: Decision
    safety: SafetyResult
    facts: ChannelFacts
    inputs_fingerprint: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One ``mcpln run``: what was read, how, and what came out.

    Attributes:
        run_id: uuid4 hex.
        started_at: UTC.
        finished_at: UTC.
        evaluated_at: the ``now`` the engine was given (UTC).
        mode: ``"shadow"`` (nothing sent), later ``"approve"`` or ``"auto"``.
        profile: configuration profile name.
        node_pubkey: our node id.
        node_alias: our alias.
        node_source: where the node state was read from.
        graph_source: where the graph was read from.
        graph_fingerprint: sha256 of the graph file.
        config_fingerprint: sha256 of the resolved configuration.
        n_channels: channels evaluated.
        n_skipped: records skipped at ingest.
        decision_counts: decision type -> count.
    """

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
    decision_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A policy change applied to a node (written by the executor; read by the safety rules).

    Attributes:
        chan_id: uint64 channel id.
        applied_at: UTC.
        old: policy before.
        new: policy after.
        run_id: the run that planned it.
    """

    chan_id: int
    applied_at: datetime
    old: Policy | None
    new: Policy
    run_id: str | None = None
