"""Plain JSON-ready dictionaries of decisions and runs (the ``--json`` and API contract).

``chan_id`` is emitted as a decimal string, as LND's REST API does, because uint64 channel ids
exceed the integers JSON readers such as JavaScript represent exactly. Times are ISO-8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.plan import PlannedDecision, RunSummary


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 text of a UTC datetime (``Z`` suffix), or None."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def policy_dict(policy: Policy | None) -> dict[str, Any] | None:
    """A policy with unit-suffixed keys, or None."""
    if policy is None:
        return None
    return {
        "base_fee_msat": int(policy.base_fee_msat),
        "fee_rate_ppm": int(policy.fee_rate_ppm),
        "time_lock_delta": policy.time_lock_delta,
        "min_htlc_msat": int(policy.min_htlc_msat),
        "max_htlc_msat": None if policy.max_htlc_msat is None else int(policy.max_htlc_msat),
        "inbound_base_fee_msat": int(policy.inbound_base_fee_msat),
        "inbound_fee_rate_ppm": int(policy.inbound_fee_rate_ppm),
        "disabled": policy.disabled,
        "last_update_at": iso(policy.last_update_at),
    }


def planned_dict(item: PlannedDecision) -> dict[str, Any]:
    """One planned decision as a JSON-ready dict.

    Keys: chan_id (string), scid, peer_pubkey, peer_alias, decision, confidence, composite_score,
    scores {name: {value, weight, reason}}, reasons, current, proposed (what the engine proposed),
    safety {verdict, rule, reason, notes, policy (what would be sent)}, rebalance, close_reason,
    facts, inputs_fingerprint.
    """
    d = item.decision
    rebalance = None
    if d.rebalance is not None:
        rebalance = {
            "amount_sat": int(d.rebalance.amount_sat),
            "direction": d.rebalance.direction.value,
            "target_local_ratio": d.rebalance.target_local_ratio,
        }
    return {
        "chan_id": str(d.chan_id),
        "scid": d.scid,
        "peer_pubkey": d.peer_pubkey,
        "peer_alias": item.facts.peer_alias,
        "decision": d.decision.value,
        "confidence": d.confidence,
        "composite_score": round(d.composite_score, 4),
        "scores": {s.name: {"value": round(s.value, 4), "weight": s.weight, "reason": s.reason} for s in d.scores},
        "reasons": list(d.reasons),
        "current": policy_dict(d.current),
        "proposed": policy_dict(d.proposed),
        "safety": {
            "verdict": item.safety.verdict.value,
            "rule": item.safety.rule,
            "reason": item.safety.reason,
            "notes": list(item.safety.notes),
            "policy": policy_dict(item.safety.proposed),
        },
        "rebalance": rebalance,
        "close_reason": d.close_reason,
        "facts": {
            "capacity_sat": item.facts.capacity_sat,
            "local_ratio": item.facts.local_ratio,
            "n_forwards_7d": item.facts.n_forwards_7d,
            "fee_7d_msat": item.facts.fee_7d_msat,
            "active": item.facts.active,
            "in_graph": item.facts.in_graph,
            "unserved_out_7d": item.facts.unserved_out_7d,
        },
        "inputs_fingerprint": item.inputs_fingerprint,
    }


def run_dict(run: RunSummary) -> dict[str, Any]:
    """A run summary as a JSON-ready dict."""
    return {
        "run_id": run.run_id,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "evaluated_at": iso(run.evaluated_at),
        "mode": run.mode,
        "profile": run.profile,
        "node_pubkey": run.node_pubkey,
        "node_alias": run.node_alias,
        "node_source": run.node_source,
        "graph_source": run.graph_source,
        "graph_fingerprint": run.graph_fingerprint,
        "config_fingerprint": run.config_fingerprint,
        "n_channels": run.n_channels,
        "n_skipped": run.n_skipped,
        "decision_counts": dict(run.decision_counts),
    }
