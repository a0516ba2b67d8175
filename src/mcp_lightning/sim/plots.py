"""PNG plots of a backtest (matplotlib's Agg canvas, no global pyplot state, fixed metadata).

Same results -> same bytes: no timestamps, the ``Software`` field fixed, a fixed font and size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mcp_lightning.sim.backtest import BacktestResult

PNG_METADATA = {"Software": "mcp-lightning backtest"}
_DPI = 100


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=_DPI, metadata=PNG_METADATA)
    return path


def fees_bar(result: BacktestResult, path: Path) -> Path:
    """Bar chart: mean fees per strategy with 95 % CI error bars."""
    names = list(result.summary)
    means = [result.summary[n]["fees_sat"].mean for n in names]
    errors = [result.summary[n]["fees_sat"].half_width for n in names]
    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    colours = ["#1f77b4" if n.startswith("ours") else "#999999" for n in names]
    axes.bar(range(len(names)), means, yerr=errors, color=colours, capsize=4)
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes.set_ylabel("fees earned (sat)")
    axes.set_title(f"{result.scenario.name}: fees over {result.scenario.days:g} days (mean ± 95 % CI)")
    figure.tight_layout()
    return _save(figure, path)


def cumulative_fees(result: BacktestResult, path: Path) -> Path:
    """Lines: mean cumulative fees per day and strategy."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    for name in result.summary:
        runs = result.runs_of(name)
        daily = np.mean(np.array([r.daily_fees_msat for r in runs], dtype=np.float64), axis=0) / 1000
        style = "-" if name.startswith("ours") else "--"
        axes.plot(np.arange(1, daily.size + 1), np.cumsum(daily), style, label=name)
    axes.set_xlabel("simulated day")
    axes.set_ylabel("cumulative fees (sat)")
    axes.set_title(f"{result.scenario.name}: cumulative fees (mean over seeds)")
    axes.legend(fontsize=8, ncols=2)
    figure.tight_layout()
    return _save(figure, path)


def write_plots(result: BacktestResult, out_dir: Path) -> list[Path]:
    """Both plots of a scenario into ``out_dir``; returns their paths."""
    stem = result.scenario.name
    return [fees_bar(result, out_dir / f"{stem}-fees.png"), cumulative_fees(result, out_dir / f"{stem}-cumulative.png")]
