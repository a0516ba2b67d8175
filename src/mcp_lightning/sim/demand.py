"""Payment demand: who pays whom, how much, and when.

* **Amounts** — log-normal, fitted by maximum likelihood to the amounts our node really forwarded
  (``amount_out_msat`` of every forward in the export): ``mu`` and ``sigma`` are the mean and
  standard deviation of ``ln(amount_msat)``; draws are rounded to whole sats and clipped to
  [1 sat, the largest forward seen]. Forwarded amounts are the payments that *succeeded* through a
  routing node, so the fit leans towards amounts that route well (documented bias).
* **Senders** — every node with an enabled outgoing channel, weighted by its total capacity (the
  nodes that hold liquidity are the exchanges, wallets' LSPs and merchants that originate most
  payments; capacity weighting also follows the "merchant" bias of published LN traffic simulators,
  e.g. Béres et al., *A Cryptoeconomic Traffic Analysis of Bitcoin's Lightning Network*, 2019).
  ``degree`` or ``uniform`` weights are the alternatives.
* **Receivers** — ``n_destinations`` nodes drawn without replacement with the same weights (a
  finite set of merchants; it also bounds the precomputation), then each payment picks one of them
  with those weights.
* **Arrivals** — a Poisson process of ``payments_per_day`` over the whole network.
* **Extra flows** — fixed sender/receiver streams with their own rate and amount (the ``abused``
  archetype's drain).

Our node never sends or receives: it only routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcp_lightning.domain.forward import Forward
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.units import MSAT_PER_SAT

WEIGHTINGS = ("capacity", "degree", "uniform")


@dataclass(frozen=True, slots=True)
class AmountModel:
    """Log-normal payment amounts in msat.

    Attributes:
        mu: mean of ln(amount_msat).
        sigma: standard deviation of ln(amount_msat), > 0.
        max_msat: largest amount drawn, msat.
        n_fitted: forwards the fit used (0 when given by hand).
    """

    mu: float
    sigma: float
    max_msat: int
    n_fitted: int = 0

    @property
    def median_msat(self) -> int:
        """Median amount, msat."""
        return round(float(np.exp(self.mu)))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` amounts, msat, whole sats in [1 sat, max_msat]."""
        raw = rng.lognormal(self.mu, self.sigma, n)
        sats = np.clip(np.rint(raw / MSAT_PER_SAT), 1, max(1, self.max_msat // MSAT_PER_SAT))
        result: np.ndarray = sats.astype(np.int64) * MSAT_PER_SAT
        return result


def fit_amounts(forwards: Sequence[Forward]) -> AmountModel:
    """Maximum-likelihood log-normal fit to forwarded amounts.

    Raises:
        ValueError: with fewer than 10 forwards of a positive amount.
    """
    amounts = np.array([f.amount_out_msat for f in forwards if f.amount_out_msat > 0], dtype=np.float64)
    if amounts.size < 10:
        raise ValueError(f"only {amounts.size} forwards with a positive amount; at least 10 are needed to fit amounts")
    logs = np.log(amounts)
    return AmountModel(mu=float(logs.mean()), sigma=float(logs.std(ddof=0)), max_msat=int(amounts.max()),
                       n_fitted=int(amounts.size))


@dataclass(frozen=True, slots=True)
class ExtraFlow:
    """A fixed stream: ``sender`` pays ``receiver`` ``amount_msat`` at ``per_day`` payments a day."""

    sender: int
    receiver: int
    per_day: float
    amount_msat: int


@dataclass(frozen=True, slots=True)
class PaymentStream:
    """Every payment of a run, sorted by time (identical for every strategy of one seed).

    Attributes:
        at_s: seconds since the start.
        sender: node index.
        receiver: node index.
        amount_msat: amount delivered to the receiver, msat.
        destinations: the receiver set.
    """

    at_s: np.ndarray
    sender: np.ndarray
    receiver: np.ndarray
    amount_msat: np.ndarray
    destinations: tuple[int, ...]

    def __len__(self) -> int:
        return int(self.at_s.size)


def node_weights(net: SimNetwork, weighting: str) -> np.ndarray:
    """Sender/receiver weight of every node (0 for our node and for nodes without an enabled channel).

    Raises:
        ValueError: for an unknown weighting.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; expected one of {', '.join(WEIGHTINGS)}")
    capacity = np.zeros(net.n_nodes, dtype=np.float64)
    degree = np.zeros(net.n_nodes, dtype=np.float64)
    for pair, src in enumerate(net.pair_src):
        capacity[src] += net.pair_cap_msat[pair]
        degree[src] += 1.0
    weights = {"capacity": capacity, "degree": degree, "uniform": (degree > 0).astype(np.float64)}[weighting]
    weights[net.our] = 0.0
    return weights


def generate(net: SimNetwork, rng: np.random.Generator, *, payments_per_day: float, days: float,
             n_destinations: int, weighting: str, amounts: AmountModel,
             extra: Sequence[ExtraFlow] = ()) -> PaymentStream:
    """Draw the payment stream of one run (see the module docstring).

    Returns:
        The stream, sorted by time; payments whose sender is the receiver are dropped.
    """
    weights = node_weights(net, weighting)
    eligible = np.flatnonzero(weights > 0)
    p = weights[eligible] / weights[eligible].sum()
    k = min(n_destinations, eligible.size)
    destinations = np.sort(rng.choice(eligible, size=k, replace=False, p=p))
    dest_p = weights[destinations] / weights[destinations].sum()
    n = int(rng.poisson(payments_per_day * days))
    at = rng.uniform(0.0, days * 86_400.0, n)
    senders = rng.choice(eligible, size=n, p=p)
    receivers = rng.choice(destinations, size=n, p=dest_p)
    amount = amounts.draw(rng, n)
    parts = [(at, senders, receivers, amount)]
    for flow in extra:
        m = int(rng.poisson(flow.per_day * days))
        parts.append((rng.uniform(0.0, days * 86_400.0, m), np.full(m, flow.sender), np.full(m, flow.receiver),
                      np.full(m, flow.amount_msat, dtype=np.int64)))
    at, senders, receivers, amount = (np.concatenate([part[i] for part in parts]) for i in range(4))
    keep = senders != receivers
    order = np.argsort(at[keep], kind="stable")
    all_destinations = tuple(sorted(set(destinations.tolist()) | {f.receiver for f in extra}))
    return PaymentStream(at[keep][order], senders[keep][order].astype(np.int64),
                         receivers[keep][order].astype(np.int64), amount[keep][order].astype(np.int64),
                         all_destinations)
