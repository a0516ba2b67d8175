"""The backtest's figures per run, and their mean with a 95 % confidence interval over seeds.

| figure                 | unit  | definition                                                                  |
|------------------------|-------|-----------------------------------------------------------------------------|
| fees_sat               | sat   | routing fees our node earned                                                |
| n_forwards             | count | forwards settled through our node                                           |
| volume_sat             | sat   | amount forwarded out                                                        |
| success_ratio          | [0,1] | settled forwards / HTLCs that reached our node                              |
| fees_per_msat_local    | sat   | fees per million sat of time-averaged local balance                         |
| imbalance              | [0,1] | time-averaged capacity-weighted ``2 x |local_ratio - 0.5|`` (0 = all 50/50) |
| n_policy_changes       | count | fee changes announced (gossip ``channel_update`` messages)                   |
| rebalance_cost_sat     | sat   | paid for rebalancing (0: no strategy rebalances in the simulation)           |

Confidence interval: Student's t, ``mean ± t(0.975, n-1) x sd / sqrt(n)`` over seeds (0 with one seed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mcp_lightning.sim.simulator import RunRecord

FIGURES: tuple[tuple[str, str], ...] = (
    ("fees_sat", "fees (sat)"),
    ("n_forwards", "forwards"),
    ("volume_sat", "volume (sat)"),
    ("success_ratio", "success"),
    ("fees_per_msat_local", "sat / 1M sat local"),
    ("imbalance", "imbalance"),
    ("n_policy_changes", "fee changes"),
    ("rebalance_cost_sat", "rebalance cost (sat)"),
)


def figures(record: RunRecord) -> dict[str, float]:
    """The figures of one run (see the module table)."""
    mean_local_sat = record.mean_local_msat / 1000
    fees_sat = record.fees_msat / 1000
    return {
        "fees_sat": fees_sat,
        "n_forwards": float(record.n_forwards),
        "volume_sat": record.volume_msat / 1000,
        "success_ratio": record.n_forwards / record.n_htlcs_offered if record.n_htlcs_offered else 0.0,
        "fees_per_msat_local": fees_sat / (mean_local_sat / 1e6) if mean_local_sat > 0 else 0.0,
        "imbalance": record.imbalance,
        "n_policy_changes": float(record.n_policy_changes),
        "rebalance_cost_sat": record.rebalance_cost_msat / 1000,
    }


@dataclass(frozen=True, slots=True)
class Estimate:
    """Mean and 95 % confidence half-width over seeds."""

    mean: float
    half_width: float
    n: int


def estimate(values: Sequence[float]) -> Estimate:
    """Mean ± Student-t 95 % half-width of ``values`` (half-width 0 for fewer than two values)."""
    sample = np.asarray(values, dtype=np.float64)
    if sample.size == 0:
        return Estimate(0.0, 0.0, 0)
    mean = float(sample.mean())
    if sample.size < 2:
        return Estimate(mean, 0.0, 1)
    sd = float(sample.std(ddof=1))
    half = float(stats.t.ppf(0.975, sample.size - 1)) * sd / math.sqrt(sample.size)
    return Estimate(mean, half, int(sample.size))


def summarize(records: Sequence[RunRecord]) -> dict[str, Estimate]:
    """Every figure's estimate over the given runs (one strategy, several seeds)."""
    rows = [figures(r) for r in records]
    return {key: estimate([row[key] for row in rows]) for key, _ in FIGURES}


@dataclass(frozen=True, slots=True)
class Comparison:
    """A strategy against a reference on the same seeds.

    Attributes:
        strategy: the strategy compared.
        reference: the reference strategy (the best baseline by mean fees).
        fee_gain: ``mean(fees) / mean(reference fees) - 1``.
        fee_gain_low: lower end of the 95 % interval of the mean paired gain per seed.
        fee_gain_high: upper end of it.
        success_delta: mean paired difference of the success ratio (strategy - reference), in [-1, 1].
        success_delta_low: lower end of the 95 % interval of that paired difference.
        success_delta_high: upper end of it.
        meets_target: fee_gain >= target and success_delta >= 0.
    """

    strategy: str
    reference: str
    fee_gain: float
    fee_gain_low: float
    fee_gain_high: float
    success_delta: float
    success_delta_low: float
    success_delta_high: float
    meets_target: bool


def compare(strategy: Sequence[RunRecord], reference: Sequence[RunRecord], *, target: float = 0.15) -> Comparison:
    """Paired comparison of two strategies run on the same seeds (records matched by seed)."""
    by_seed = {r.seed: r for r in reference}
    pairs = [(figures(r), figures(by_seed[r.seed])) for r in strategy if r.seed in by_seed]
    ours = sum(a["fees_sat"] for a, _ in pairs)
    theirs = sum(b["fees_sat"] for _, b in pairs)
    gain = ours / theirs - 1.0 if theirs > 0 else 0.0
    per_seed = [a["fees_sat"] / b["fees_sat"] - 1.0 for a, b in pairs if b["fees_sat"] > 0]
    spread = estimate(per_seed)
    success = estimate([a["success_ratio"] - b["success_ratio"] for a, b in pairs])
    return Comparison(
        strategy=strategy[0].strategy if strategy else "", reference=reference[0].strategy if reference else "",
        fee_gain=gain, fee_gain_low=spread.mean - spread.half_width, fee_gain_high=spread.mean + spread.half_width,
        success_delta=success.mean, success_delta_low=success.mean - success.half_width,
        success_delta_high=success.mean + success.half_width, meets_target=gain >= target and success.mean >= 0.0)
