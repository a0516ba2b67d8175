"""Mapping between the engine's values and the store's rows (and their JSON documents).

Policies serialise with unit-suffixed keys::

    {"base_fee_msat": 1000, "fee_rate_ppm": 250, "time_lock_delta": 80, "min_htlc_msat": 1000,
     "max_htlc_msat": 990000000, "inbound_base_fee_msat": 0, "inbound_fee_rate_ppm": -50,
     "disabled": false, "last_update_at": "2025-10-26T12:00:00+00:00"}

Scores serialise as ``{name: {"value", "weight", "reason"}}`` in the decision's order; facts and
rebalance suggestions as objects keyed by their field names.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any

from mcp_lightning.adapters.store.tables import DecisionRow, PolicyChangeRow, RunRow
from mcp_lightning.domain.channel import HtlcCounters, Policy
from mcp_lightning.domain.decision import (
    Decision,
    DecisionType,
    RebalanceDirection,
    RebalanceSuggestion,
    WeightedScore,
)
from mcp_lightning.engine.plan import (
    ChannelFacts,
    PlannedDecision,
    PolicyChange,
    RunSummary,
    SafetyResult,
    Verdict,
)
from mcp_lightning.units import Msat, Ppm, Sat

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as read back from the store, flat for display (``mcpln history``, the API).

    Attributes:
        run_id: the run that made it.
        chan_id: uint64 channel id.
        scid: ``BLOCKxTXxOUT`` or None.
        node_pubkey: our node.
        peer_pubkey: the peer.
        peer_alias: the peer's alias at the time, when known.
        decision: what the engine decided.
        confidence: in [0, 1].
        composite_score: in [0, 1].
        scores: each heuristic's weighted score, in the decision's order.
        reasons: human sentences, most important first.
        current: the outbound policy at the time (None when unknown).
        proposed: the engine's proposal before safety rules (None when nothing changes).
        safety_verdict: what the safety chain made of the proposal.
        safety_rule: the rule that rejected it, when rejected.
        safety_reason: why it was rejected.
        safety_notes: one sentence per adjustment.
        final_proposed: the policy that would be sent after the safety chain (None when nothing).
        rebalance: a suggested rebalance, for REBALANCE.
        close_reason: why closing is suggested, for CLOSE_CHANNEL.
        facts: the observed figures the decision was made on.
        inputs_fingerprint: sha256 hex of the channel context.
        created_at: the run's ``evaluated_at`` (UTC): the moment the decision was made for.
    """

    run_id: str
    chan_id: int
    scid: str | None
    node_pubkey: str
    peer_pubkey: str
    peer_alias: str | None
    decision: DecisionType
    confidence: float
    composite_score: float
    scores: tuple[WeightedScore, ...]
    reasons: tuple[str, ...]
    current: Policy | None
    proposed: Policy | None
    safety_verdict: Verdict
    safety_rule: str | None
    safety_reason: str | None
    safety_notes: tuple[str, ...]
    final_proposed: Policy | None
    rebalance: RebalanceSuggestion | None
    close_reason: str | None
    facts: ChannelFacts
    inputs_fingerprint: str
    created_at: datetime

    def to_planned(self) -> PlannedDecision:
        """Rebuild the ``PlannedDecision`` that was recorded (equal to the original)."""
        decision = Decision(
            chan_id=self.chan_id, scid=self.scid, peer_pubkey=self.peer_pubkey, decision=self.decision,
            confidence=self.confidence, composite_score=self.composite_score, scores=self.scores,
            reasons=self.reasons, current=self.current, proposed=self.proposed,
            rebalance=self.rebalance, close_reason=self.close_reason,
        )
        safety = SafetyResult(
            verdict=self.safety_verdict, proposed=self.final_proposed, notes=self.safety_notes,
            rule=self.safety_rule, reason=self.safety_reason,
        )
        return PlannedDecision(decision, safety, self.facts, self.inputs_fingerprint)


def utc_iso(moment: datetime) -> str:
    """ISO-8601 text of a timezone-aware datetime, in UTC.

    Raises:
        ValueError: when ``moment`` is naive.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone; the store takes UTC datetimes")
    return moment.astimezone(UTC).isoformat()


def policy_to_json(policy: Policy) -> JsonObject:
    """A policy as a JSON object with unit-suffixed keys (see the module docstring)."""
    return {
        "base_fee_msat": policy.base_fee_msat,
        "fee_rate_ppm": policy.fee_rate_ppm,
        "time_lock_delta": policy.time_lock_delta,
        "min_htlc_msat": policy.min_htlc_msat,
        "max_htlc_msat": policy.max_htlc_msat,
        "inbound_base_fee_msat": policy.inbound_base_fee_msat,
        "inbound_fee_rate_ppm": policy.inbound_fee_rate_ppm,
        "disabled": policy.disabled,
        "last_update_at": None if policy.last_update_at is None else utc_iso(policy.last_update_at),
    }


def policy_from_json(doc: JsonObject) -> Policy:
    """The inverse of ``policy_to_json``.

    Raises:
        KeyError, TypeError, ValueError: when the document is not a stored policy.
    """
    max_htlc = doc["max_htlc_msat"]
    updated = doc["last_update_at"]
    return Policy(
        base_fee_msat=Msat(int(doc["base_fee_msat"])),
        fee_rate_ppm=Ppm(int(doc["fee_rate_ppm"])),
        time_lock_delta=int(doc["time_lock_delta"]),
        min_htlc_msat=Msat(int(doc["min_htlc_msat"])),
        max_htlc_msat=None if max_htlc is None else Msat(int(max_htlc)),
        inbound_base_fee_msat=Msat(int(doc["inbound_base_fee_msat"])),
        inbound_fee_rate_ppm=Ppm(int(doc["inbound_fee_rate_ppm"])),
        disabled=bool(doc["disabled"]),
        last_update_at=None if updated is None else datetime.fromisoformat(updated).astimezone(UTC),
    )


def _optional_policy_to_json(policy: Policy | None) -> JsonObject | None:
    return None if policy is None else policy_to_json(policy)


def _optional_policy_from_json(doc: JsonObject | None) -> Policy | None:
    return None if doc is None else policy_from_json(doc)


def run_to_row(run: RunSummary) -> RunRow:
    """The ``runs`` row of a run summary."""
    return RunRow(
        run_id=run.run_id, started_at=run.started_at, finished_at=run.finished_at,
        evaluated_at=run.evaluated_at, mode=run.mode, profile=run.profile, node_pubkey=run.node_pubkey,
        node_alias=run.node_alias, node_source=run.node_source, graph_source=run.graph_source,
        graph_fingerprint=run.graph_fingerprint, config_fingerprint=run.config_fingerprint,
        n_channels=run.n_channels, n_skipped=run.n_skipped, decision_counts=dict(run.decision_counts),
    )


def run_from_row(row: RunRow) -> RunSummary:
    """The run summary held by a ``runs`` row."""
    return RunSummary(
        run_id=row.run_id, started_at=row.started_at, finished_at=row.finished_at,
        evaluated_at=row.evaluated_at, mode=row.mode, profile=row.profile, node_pubkey=row.node_pubkey,
        node_alias=row.node_alias, node_source=row.node_source, graph_source=row.graph_source,
        graph_fingerprint=row.graph_fingerprint, config_fingerprint=row.config_fingerprint,
        n_channels=row.n_channels, n_skipped=row.n_skipped,
        decision_counts={str(k): int(v) for k, v in row.decision_counts.items()},
    )


def _facts_to_json(facts: ChannelFacts) -> JsonObject:
    return {
        "capacity_sat": facts.capacity_sat, "local_ratio": facts.local_ratio,
        "n_forwards_7d": facts.n_forwards_7d, "fee_7d_msat": facts.fee_7d_msat,
        "peer_alias": facts.peer_alias, "active": facts.active, "in_graph": facts.in_graph,
        "htlc_counters": None if facts.htlc_counters is None else list(astuple(facts.htlc_counters)),
        "unserved_out_7d": facts.unserved_out_7d,
    }


def counters_from_facts(doc: JsonObject) -> HtlcCounters | None:
    """The lifetime HTLC counters recorded in a decision's facts (None when absent or malformed)."""
    raw = doc.get("htlc_counters")
    if not isinstance(raw, list) or len(raw) != 4 or not all(isinstance(v, int) for v in raw):
        return None
    return HtlcCounters(*raw)


def _facts_from_json(doc: JsonObject) -> ChannelFacts:
    alias = doc["peer_alias"]
    return ChannelFacts(
        capacity_sat=int(doc["capacity_sat"]), local_ratio=float(doc["local_ratio"]),
        n_forwards_7d=int(doc["n_forwards_7d"]), fee_7d_msat=int(doc["fee_7d_msat"]),
        peer_alias=None if alias is None else str(alias), active=bool(doc["active"]),
        in_graph=bool(doc["in_graph"]), htlc_counters=counters_from_facts(doc),
        unserved_out_7d=None if doc.get("unserved_out_7d") is None else int(doc["unserved_out_7d"]),
    )


def _rebalance_to_json(rebalance: RebalanceSuggestion | None) -> JsonObject | None:
    if rebalance is None:
        return None
    return {"amount_sat": rebalance.amount_sat, "direction": rebalance.direction.value,
            "target_local_ratio": rebalance.target_local_ratio}


def _rebalance_from_json(doc: JsonObject | None) -> RebalanceSuggestion | None:
    if doc is None:
        return None
    return RebalanceSuggestion(Sat(int(doc["amount_sat"])), RebalanceDirection(doc["direction"]),
                               float(doc["target_local_ratio"]))


def _scores_to_json(scores: tuple[WeightedScore, ...]) -> JsonObject:
    return {s.name: {"value": s.value, "weight": s.weight, "reason": s.reason} for s in scores}


def _scores_from_json(doc: JsonObject) -> tuple[WeightedScore, ...]:
    return tuple(WeightedScore(str(name), float(s["value"]), float(s["weight"]), str(s["reason"]))
                 for name, s in doc.items())


def decision_to_row(planned: PlannedDecision, run: RunSummary) -> DecisionRow:
    """The ``decisions`` row of a planned decision; ``created_at`` is the run's ``evaluated_at``."""
    d, safety = planned.decision, planned.safety
    return DecisionRow(
        run_id=run.run_id, chan_id=d.chan_id, scid=d.scid, node_pubkey=run.node_pubkey,
        peer_pubkey=d.peer_pubkey, decision=d.decision.value, confidence=d.confidence,
        composite_score=d.composite_score, scores=_scores_to_json(d.scores), reasons=list(d.reasons),
        current_policy=_optional_policy_to_json(d.current),
        proposed_policy=_optional_policy_to_json(d.proposed),
        safety_verdict=safety.verdict.value, safety_rule=safety.rule, safety_reason=safety.reason,
        safety_notes=list(safety.notes), final_proposed_policy=_optional_policy_to_json(safety.proposed),
        rebalance=_rebalance_to_json(d.rebalance), close_reason=d.close_reason,
        facts=_facts_to_json(planned.facts), inputs_fingerprint=planned.inputs_fingerprint,
        created_at=run.evaluated_at,
    )


def stored_from_row(row: DecisionRow) -> StoredDecision:
    """The stored decision held by a ``decisions`` row.

    Raises:
        KeyError, TypeError, ValueError: when a JSON document of the row is malformed.
    """
    facts = _facts_from_json(row.facts)
    return StoredDecision(
        run_id=row.run_id, chan_id=row.chan_id, scid=row.scid, node_pubkey=row.node_pubkey,
        peer_pubkey=row.peer_pubkey, peer_alias=facts.peer_alias, decision=DecisionType(row.decision),
        confidence=row.confidence, composite_score=row.composite_score,
        scores=_scores_from_json(row.scores), reasons=tuple(str(r) for r in row.reasons),
        current=_optional_policy_from_json(row.current_policy),
        proposed=_optional_policy_from_json(row.proposed_policy),
        safety_verdict=Verdict(row.safety_verdict), safety_rule=row.safety_rule,
        safety_reason=row.safety_reason, safety_notes=tuple(str(n) for n in row.safety_notes),
        final_proposed=_optional_policy_from_json(row.final_proposed_policy),
        rebalance=_rebalance_from_json(row.rebalance), close_reason=row.close_reason, facts=facts,
        inputs_fingerprint=row.inputs_fingerprint, created_at=row.created_at,
    )


def change_to_row(change: PolicyChange, node_pubkey: str, status: str) -> PolicyChangeRow:
    """The ``policy_changes`` row of an applied change."""
    return PolicyChangeRow(
        chan_id=change.chan_id, node_pubkey=node_pubkey, applied_at=change.applied_at,
        old_policy=_optional_policy_to_json(change.old), new_policy=policy_to_json(change.new),
        run_id=change.run_id, status=status,
    )


def change_from_row(row: PolicyChangeRow) -> PolicyChange:
    """The policy change held by a ``policy_changes`` row.

    Raises:
        KeyError, TypeError, ValueError: when a stored policy is malformed.
    """
    return PolicyChange(
        chan_id=row.chan_id, applied_at=row.applied_at, old=_optional_policy_from_json(row.old_policy),
        new=policy_from_json(row.new_policy), run_id=row.run_id,
    )
