"""The Markdown report of a run (``mcpln run --report PATH``)."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_lightning.engine.plan import PlannedDecision, RunSummary
from mcp_lightning.reporting import cells
from mcp_lightning.reporting.cells import channel_label, current_fee, forwards_7d, peer_label, proposed_fee


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_report(run: RunSummary, planned: Sequence[PlannedDecision], notes: Sequence[str] = ()) -> str:
    """Render a run as Markdown: summary, inputs, the decision table, and per-channel details.

    Args:
        run: the run summary.
        planned: its planned decisions.
        notes: extra lines about the inputs (ingest counts, skipped records).
    """
    lines = [
        f"# MCP Lightning run {run.run_id[:8]}",
        "",
        f"- node: **{_cell(run.node_alias)}** `{run.node_pubkey}` ({run.node_source})",
        f"- graph: {run.graph_source} (sha256 `{run.graph_fingerprint[:16]}…`)",
        f"- evaluated as of {run.evaluated_at:%Y-%m-%d %H:%M} UTC; profile `{run.profile}`; mode `{run.mode}` "
        "(nothing was sent to the node)",
        "- decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(run.decision_counts.items()))
        + f"; HTLC limits moved by the liquidity valve: {cells.htlc_limit_changes(planned)}",
        *(f"- {_cell(n)}" for n in notes),
        "",
        "| channel | peer | capacity sat | local | 7d fwd / fees | fee base/ppm "
        "| decision | proposed | conf | main reason |",
        "|---|---|--:|--:|--:|--:|---|--:|--:|---|",
    ]
    for item in planned:
        d = item.decision
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    channel_label(item),
                    peer_label(item, 32),
                    f"{item.facts.capacity_sat:,}",
                    f"{item.facts.local_ratio:.0%}",
                    forwards_7d(item),
                    current_fee(item),
                    d.decision.value,
                    proposed_fee(item),
                    f"{d.confidence:.2f}",
                    d.reasons[0] if d.reasons else "",
                )
            )
            + " |"
        )
    lines += ["", "## Details", ""]
    for item in planned:
        d = item.decision
        lines.append(f"### {channel_label(item)} — {_cell(peer_label(item, 40))}: {d.decision.value}")
        lines.append("")
        lines += [f"- {_cell(r)}" for r in d.reasons]
        if item.safety.reason:
            lines.append(f"- safety ({item.safety.rule}): {_cell(item.safety.reason)}")
        lines += [f"- safety: {_cell(n)}" for n in item.safety.notes]
        lines.append(
            "- scores: "
            + ", ".join(f"{s.name} {s.value:.2f}" for s in d.scores)
            + f" → composite {d.composite_score:.2f}"
        )
        lines.append("")
    return "\n".join(lines)
