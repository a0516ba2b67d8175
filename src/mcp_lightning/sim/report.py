"""The backtest as Markdown: one table per scenario, mean ± 95 % CI over seeds, and the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_lightning.sim.backtest import REFERENCE_STRATEGY, TARGET_GAIN, BacktestResult
from mcp_lightning.sim.metrics import FIGURES, Comparison, Estimate

_FORMATS = {
    "fees_sat": "{:,.0f}", "n_forwards": "{:,.0f}", "volume_sat": "{:,.0f}", "success_ratio": "{:.1%}",
    "fees_per_msat_local": "{:,.1f}", "imbalance": "{:.3f}", "n_policy_changes": "{:,.0f}",
    "rebalance_cost_sat": "{:,.0f}",
}


def cell(key: str, value: Estimate) -> str:
    """``mean ± half-width`` in the figure's format."""
    fmt = _FORMATS[key]
    if value.n < 2:
        return fmt.format(value.mean)
    return f"{fmt.format(value.mean)} ± {fmt.format(value.half_width)}"


def table(result: BacktestResult) -> str:
    """The Markdown table of one scenario (one row per strategy)."""
    header = "| strategy | " + " | ".join(label for _, label in FIGURES) + " |"
    rule = "|---|" + "---:|" * len(FIGURES)
    rows = [f"| {name} | " + " | ".join(cell(key, estimates[key]) for key, _ in FIGURES) + " |"
            for name, estimates in result.summary.items()]
    return "\n".join([header, rule, *rows])


def verdict(result: BacktestResult) -> str:
    """One sentence on our balanced profile against the best baseline (and one against the best
    baseline given our liquidity valve, when such runs are in the result)."""
    c = result.comparison
    if c is None:
        return f"No verdict: run {REFERENCE_STRATEGY} and at least one baseline."
    sentences = [_sentence(c, "best baseline")]
    if result.valved_comparison is not None:
        sentences.append(_sentence(result.valved_comparison, "best baseline with our valve"))
    return "\n\n".join(sentences)


def _sentence(c: Comparison, label: str) -> str:
    outcome = "meets" if c.meets_target else "does not meet"
    return (f"{c.strategy} vs {label} {c.reference}: fees {c.fee_gain:+.1%} (per-seed 95 % CI "
            f"{c.fee_gain_low:+.1%} .. {c.fee_gain_high:+.1%}), success ratio {100 * c.success_delta:+.1f} points "
            f"({100 * c.success_delta_low:+.1f} .. {100 * c.success_delta_high:+.1f}): {outcome} the target "
            f"(>= {TARGET_GAIN:+.0%} fees, success not lower).")


def render_markdown(result: BacktestResult, plot_names: Sequence[str] = ()) -> str:
    """The whole report of one scenario."""
    s = result.scenario
    lines = [
        f"# Backtest: {s.name}",
        "",
        s.description or "",
        "",
        f"Archetype `{s.archetype}` {dict(sorted(s.archetype_params.items())) or ''}; {s.days:g} days; "
        f"seeds {', '.join(map(str, s.seeds))}; decisions every {s.decision_interval_hours:g} h; "
        f"{s.payments_per_day:,.0f} payments/day to {s.n_destinations} receivers ({s.weighting}-weighted); "
        f"balances `{s.balance_model}`, relaxation half-life {s.relax_half_life_hours:g} h; "
        f"probability model `{s.probability_model}`.",
        "",
        "Mean ± 95 % confidence interval over seeds.",
        "",
        table(result),
        "",
        verdict(result),
        "",
    ]
    lines += [f"![{name}]({name})" for name in plot_names]
    if result.world_notes:
        lines += ["", "Worlds:", *[f"- {note}" for note in result.world_notes]]
    return "\n".join(lines).rstrip() + "\n"
