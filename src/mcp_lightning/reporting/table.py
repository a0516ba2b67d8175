"""The terminal view of a run: a Rich table, one row per channel."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from mcp_lightning.domain.decision import DecisionType
from mcp_lightning.engine.plan import PlannedDecision, RunSummary
from mcp_lightning.reporting import cells
from mcp_lightning.reporting.cells import channel_label, current_fee, forwards_7d, peer_label, proposed_fee

_STYLE = {
    DecisionType.NO_ACTION: "dim",
    DecisionType.INCREASE_FEES: "bold green",
    DecisionType.DECREASE_FEES: "bold yellow",
    DecisionType.REBALANCE: "bold cyan",
    DecisionType.CLOSE_CHANNEL: "bold red",
}


def decisions_table(planned: Sequence[PlannedDecision], title: str) -> Table:
    """Build the table: channel, peer, capacity, local ratio, 7-day forwards and fees, current fee
    (base msat / ppm), decision, proposed fee, confidence and main reason."""
    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for name, justify in (
        ("channel", "left"),
        ("peer", "left"),
        ("capacity sat", "right"),
        ("local", "right"),
        ("7d fwd / fees", "right"),
        ("fee base/ppm", "right"),
        ("decision", "left"),
        ("proposed", "right"),
        ("conf", "right"),
        ("main reason", "left"),
    ):
        table.add_column(
            name,
            justify="right" if justify == "right" else "left",
            no_wrap=name != "main reason",
            overflow="fold",
            max_width=60 if name == "main reason" else None,
        )
    for item in planned:
        d = item.decision
        table.add_row(
            channel_label(item),
            peer_label(item),
            f"{item.facts.capacity_sat:,}",
            f"{item.facts.local_ratio:.0%}",
            forwards_7d(item),
            current_fee(item),
            f"[{_STYLE[d.decision]}]{d.decision.value}[/]",
            proposed_fee(item),
            f"{d.confidence:.2f}",
            d.reasons[0] if d.reasons else "",
        )
    return table


def print_run(console: Console, run: RunSummary, planned: Sequence[PlannedDecision]) -> None:
    """Print the table and a one-line summary of the run."""
    title = (
        f"{run.node_alias} — {run.n_channels} channels, profile {run.profile}, mode {run.mode} "
        f"(as of {run.evaluated_at:%Y-%m-%d %H:%M} UTC)"
    )
    console.print(decisions_table(planned, title))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.decision_counts.items()))
    limits = cells.htlc_limit_changes(planned)
    valve = f"; {limits} HTLC limits moved by the liquidity valve" if limits else ""
    console.print(f"run {run.run_id[:8]} recorded: {counts}{valve}; nothing was sent to the node (shadow mode).")
