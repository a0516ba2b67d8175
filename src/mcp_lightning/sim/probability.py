"""What a sender believes about a hop's chance to forward: LND's estimators and mission control.

Senders do not know balances. Like LND (``routing/probability_apriori.go``, the default
estimator), each sender keeps *mission control*: per pair of nodes the last failure (amount, time)
and the largest success. A hop's success probability is

* untried pair: the node probability — the a-priori hop probability 0.6 times the capacity factor
  (a logistic drop when the amount nears the capacity: cutoff 0.9999 of capacity, smearing 0.025,
  floor 0.5), averaged with the node's other results (a-priori weight 0.5: successes count 0.95,
  fresh failures count 0 with a weight that halves every hour);
* amount at or below a previous success: 0.95;
* amount at or above a failed amount: the node probability times ``1 - 2 ** (-age / 1 h)``
  (0 right after the failure, back to the node probability after a few hours);
* otherwise the node probability.

The bimodal estimator (``probability_bimodal.go``, opt-in in LND) is available as
``BimodalEstimator``: balance density ``∝ exp(-x/s) + exp((x-c)/s) + 1/c`` with ``s`` = 300,000 sat,
conditioned on the success (lower) and failure (upper) bounds mission control learned; learned
bounds are forgotten after ``decay_s`` (a simplification of LND's gradual decay).

Source: lightningnetwork/lnd ``routing/probability_apriori.go`` (DefaultAprioriHopProbability 0.6,
DefaultAprioriWeight 0.5, prevSuccessProbability 0.95, DefaultPenaltyHalfLife 1 h,
DefaultCapacityFraction 0.9999, capacitySmearingFraction 0.025, minCapacityFactor 0.5) and
``routing/probability_bimodal.go`` (BimodalScaleMsat 300,000 sat, decay time 7 days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

APRIORI_HOP_PROBABILITY = 0.6
APRIORI_WEIGHT = 0.5
PREV_SUCCESS_PROBABILITY = 0.95
PENALTY_HALF_LIFE_S = 3600.0
CAPACITY_FRACTION = 0.9999
CAPACITY_SMEARING = 0.025
MIN_CAPACITY_FACTOR = 0.5
BIMODAL_SCALE_MSAT = 300_000_000
BIMODAL_DECAY_S = 7 * 86_400.0


def capacity_factor(amount_msat: int, capacity_msat: int) -> float:
    """LND's capacity factor in [0.5, 1], 0 above the capacity.

    ``1 - 0.5 / (1 + exp(-(a - 0.9999 c) / (0.025 c)))`` for amount ``a`` and capacity ``c``, msat.
    """
    if capacity_msat <= 0:
        return 1.0
    if amount_msat > capacity_msat:
        return 0.0
    exponent = -(amount_msat - CAPACITY_FRACTION * capacity_msat) / (CAPACITY_SMEARING * capacity_msat)
    if exponent > 50.0:
        return 1.0
    return 1.0 - (1.0 - MIN_CAPACITY_FACTOR) / (1.0 + math.exp(exponent))


@dataclass(slots=True)
class PairResult:
    """Mission control's memory of one node pair: the last failure and the largest success."""

    fail_amount_msat: int = 0
    fail_at_s: float = -1.0
    success_amount_msat: int = 0


class MissionControl:
    """Per-sender memory of payment outcomes, keyed ``(sender, from_node) -> {to_node: PairResult}``.

    The a-priori estimator of LND (see the module docstring) reads it; ``record_*`` write it after
    each attempt.
    """

    __slots__ = ("results",)

    def __init__(self) -> None:
        self.results: dict[tuple[int, int], dict[int, PairResult]] = {}

    def record_failure(self, sender: int, src: int, dst: int, amount_msat: int, now_s: float) -> None:
        """The hop ``src -> dst`` could not carry ``amount_msat`` at ``now_s``."""
        result = self.results.setdefault((sender, src), {}).setdefault(dst, PairResult())
        result.fail_amount_msat = amount_msat
        result.fail_at_s = now_s

    def record_success(self, sender: int, src: int, dst: int, amount_msat: int) -> None:
        """The hop ``src -> dst`` carried ``amount_msat``; a failure above it stays remembered."""
        result = self.results.setdefault((sender, src), {}).setdefault(dst, PairResult())
        result.success_amount_msat = max(result.success_amount_msat, amount_msat)
        if result.fail_amount_msat and result.fail_amount_msat <= amount_msat:
            result.fail_amount_msat = amount_msat + 1

    def probability(self, sender: int, src: int, dst: int, amount_msat: int, capacity_msat: int, now_s: float) -> float:
        """LND a-priori success probability of the hop ``src -> dst`` for ``amount_msat``, in [0, 1]."""
        apriori = APRIORI_HOP_PROBABILITY * capacity_factor(amount_msat, capacity_msat)
        results = self.results.get((sender, src))
        if results is None:
            return apriori
        node_probability = _node_probability(results, apriori, amount_msat, now_s)
        pair = results.get(dst)
        if pair is None:
            return node_probability
        if amount_msat <= pair.success_amount_msat:
            return PREV_SUCCESS_PROBABILITY
        if pair.fail_at_s < 0 or amount_msat < pair.fail_amount_msat:
            return node_probability
        weight = math.pow(2.0, -(now_s - pair.fail_at_s) / PENALTY_HALF_LIFE_S)
        return node_probability * (1.0 - weight)


def _node_probability(results: dict[int, PairResult], apriori: float, amount_msat: int, now_s: float) -> float:
    """LND ``getNodeProbability``: a-priori weight 0.5 -> a-priori factor 1."""
    factor = 1.0 / (1.0 - APRIORI_WEIGHT) - 1.0
    total = apriori * factor
    weight = factor
    for result in results.values():
        if amount_msat <= result.success_amount_msat:
            weight += 1.0
            total += PREV_SUCCESS_PROBABILITY
        elif result.fail_at_s >= 0 and amount_msat >= result.fail_amount_msat:
            weight += math.pow(2.0, -(now_s - result.fail_at_s) / PENALTY_HALF_LIFE_S)
    return total / weight


class BimodalEstimator(MissionControl):
    """LND's bimodal estimator over the same memory (opt-in; see the module docstring)."""

    __slots__ = ()

    def probability(self, sender: int, src: int, dst: int, amount_msat: int, capacity_msat: int, now_s: float) -> float:
        """Probability that the balance lies in [amount, fail bound) given it lies in [success bound, fail bound)."""
        if amount_msat > capacity_msat:
            return 0.0
        low, high = 0, capacity_msat
        pair = self.results.get((sender, src), {}).get(dst)
        if pair is not None:
            low = min(pair.success_amount_msat, capacity_msat)
            if pair.fail_at_s >= 0 and now_s - pair.fail_at_s < BIMODAL_DECAY_S:
                high = min(high, pair.fail_amount_msat)
        if amount_msat <= low:
            return 1.0
        if amount_msat >= high or high <= low:
            return 0.0
        whole = _bimodal_mass(low, high, capacity_msat)
        return 0.0 if whole <= 0 else _bimodal_mass(amount_msat, high, capacity_msat) / whole


def _bimodal_mass(a: int, b: int, capacity_msat: int) -> float:
    """∫_a^b (exp(-x/s) + exp((x-c)/s) + 1/c) dx with s = 300,000 sat."""
    s, c = float(BIMODAL_SCALE_MSAT), float(capacity_msat)

    def primitive(x: float) -> float:
        value: float = -s * math.exp(-x / s) + s * math.exp(min(700.0, (x - c) / s)) + x / c
        return value

    return primitive(float(b)) - primitive(float(a))
