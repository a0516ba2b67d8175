"""Send one payment: rank the candidate routes as LND does, try them, move the balances.

Ranking is LND's (``routing/pathfind.go``): walking back from the receiver, each hop's fee
(``base + amount * rate / 1e6``, BOLT 7) is added to the amount the previous hop must carry; the
route's cost is ``fees + time-lock risk + attempt_cost / P`` with ``attempt_cost = 100 sat +
1000 ppm of the amount`` and ``P`` the product of the hops' success probabilities from the sender's
mission control (``sim.probability``). The sender's own first hop costs nothing and is used only if
one of its channels has the liquidity (the sender knows its balances). Routes over a 5 % fee budget,
below LND's minimum route probability 0.01, or with a hop outside its HTLC limits are skipped.

An attempt walks the route: a hop fails when no channel of the pair has the liquidity for the
amount it must carry. A failure is reported to mission control (and the hops before it as
successes), and the sender re-ranks the untried candidates, up to ``max_attempts``. A success
settles every hop at once: each sender side loses the HTLC amount and each receiver side gains it,
so the intermediate nodes keep the difference as their fee.

Our node's HTLC counters follow Core Lightning's ``in/out_payments_offered/fulfilled``: an HTLC
*offered* to us on the incoming channel when the upstream hops passed, and to the outgoing channel
when we tried to forward it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mcp_lightning.sim.candidates import ATTEMPT_COST_MSAT, ATTEMPT_COST_PPM, RISK_FACTOR, Route
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.probability import MissionControl
from mcp_lightning.units import PPM_DENOMINATOR

MIN_ROUTE_PROBABILITY = 0.01  # LND DefaultMinRouteProbability
INFINITE = float("inf")


@dataclass(frozen=True, slots=True)
class PaymentRules:
    """The sender's limits.

    Attributes:
        max_attempts: routes tried per payment.
        fee_limit_ratio: largest total fee as a share of the amount.
        relax_half_life_s: half-life of the relaxation of channels not ours, seconds (0 = off).
    """

    max_attempts: int = 5
    fee_limit_ratio: float = 0.05
    relax_half_life_s: float = 86_400.0


@dataclass(slots=True)
class OurCounters:
    """What happened at our node: HTLC counters per channel index and settled forwards.

    ``forwards`` holds ``(in_chan_id, out_chan_id, amount_in_msat, amount_out_msat, fee_msat, at_s)``.
    """

    in_offered: dict[int, int] = field(default_factory=dict)
    in_fulfilled: dict[int, int] = field(default_factory=dict)
    out_offered: dict[int, int] = field(default_factory=dict)
    out_fulfilled: dict[int, int] = field(default_factory=dict)
    out_failed_liquidity: dict[int, int] = field(default_factory=dict)
    forwards: list[tuple[int, int, int, int, int, float]] = field(default_factory=list)


@dataclass(slots=True)
class PaymentTally:
    """Network-wide counts of the run."""

    n_payments: int = 0
    n_succeeded: int = 0
    n_attempts: int = 0
    n_no_route: int = 0
    fees_paid_msat: int = 0
    amount_delivered_msat: int = 0


class PaymentEngine:
    """Routes payments over a :class:`SimNetwork` (see the module docstring)."""

    def __init__(self, net: SimNetwork, candidates: Mapping[tuple[int, int], tuple[Route, ...]],
                 mission: MissionControl, rules: PaymentRules) -> None:
        self.net = net
        self.candidates = candidates
        self.mission = mission
        self.rules = rules
        self.ours = OurCounters()
        self.tally = PaymentTally()

    def pay(self, sender: int, receiver: int, amount_msat: int, now_s: float) -> bool:
        """Try to deliver ``amount_msat`` from ``sender`` to ``receiver``; True when it settled."""
        self.tally.n_payments += 1
        routes = self.candidates.get((sender, receiver))
        if not routes:
            self.tally.n_no_route += 1
            return False
        tried: set[Route] = set()
        for _ in range(self.rules.max_attempts):
            best: Route | None = None
            best_amounts: list[int] = []
            best_cost = INFINITE
            for route in routes:
                if route in tried:
                    continue
                cost, amounts = self.route_cost(route, sender, amount_msat, now_s)
                if cost < best_cost:
                    best, best_cost, best_amounts = route, cost, amounts
            if best is None:
                return False
            tried.add(best)
            self.tally.n_attempts += 1
            if self._attempt(best, best_amounts, sender, now_s):
                self.tally.n_succeeded += 1
                self.tally.fees_paid_msat += best_amounts[0] - amount_msat
                self.tally.amount_delivered_msat += amount_msat
                return True
        return False

    def route_cost(self, route: Route, sender: int, amount_msat: int, now_s: float) -> tuple[float, list[int]]:
        """LND's cost of ``route`` for ``amount_msat`` and the amount each hop carries (msat).

        Returns:
            ``(cost, amounts)``; cost is ``inf`` when the route is unusable.
        """
        net = self.net
        amounts = [0] * len(route)
        amount = amount_msat
        fees = 0
        risk = 0.0
        probability = 1.0
        for k in range(len(route) - 1, 0, -1):
            pair = route[k]
            if amount > net.pair_max_msat[pair] or amount < net.pair_min_msat[pair]:
                return INFINITE, amounts
            amounts[k] = amount
            probability *= self.mission.probability(sender, net.pair_src[pair], net.pair_dst[pair], amount,
                                                    net.pair_cap_msat[pair], now_s)
            if probability < MIN_ROUTE_PROBABILITY:
                return INFINITE, amounts
            fee = net.pair_base_msat[pair] + amount * net.pair_rate_ppm[pair] // PPM_DENOMINATOR
            amount += fee
            fees += fee
            risk += amount * net.pair_cltv[pair] * RISK_FACTOR
        amounts[0] = amount
        if fees > amount_msat * self.rules.fee_limit_ratio or not self._first_hop_ok(route[0], amount, now_s):
            return INFINITE, amounts
        penalty = ATTEMPT_COST_MSAT + amount_msat * ATTEMPT_COST_PPM / PPM_DENOMINATOR
        return fees + risk + penalty / probability, amounts

    def _first_hop_ok(self, pair: int, amount: int, now_s: float) -> bool:
        net = self.net
        if amount > net.pair_max_msat[pair] or amount < net.pair_min_msat[pair]:
            return False
        return self._pick(pair, amount, now_s) >= 0

    def _pick(self, pair: int, amount: int, now_s: float) -> int:
        """A directed edge of ``pair`` that can carry ``amount`` now (non-strict forwarding), or -1."""
        net = self.net
        half_life = self.rules.relax_half_life_s
        for edge in net.pair_edges[pair]:
            if not net.enabled[edge]:
                continue
            net.relax(edge >> 1, now_s, half_life)
            if net.liquidity_msat(edge) >= amount:
                return edge
        return -1

    def _attempt(self, route: Route, amounts: list[int], sender: int, now_s: float) -> bool:
        net, our = self.net, self.net.our
        chosen: list[int] = []
        fail_at = -1
        our_hop = -1
        for k, pair in enumerate(route):
            if k and net.pair_src[pair] == our:
                our_hop = k
                _bump(self.ours.in_offered, chosen[k - 1] >> 1)
            edge = self._pick(pair, amounts[k], now_s)
            if edge < 0:
                fail_at = k
                break
            chosen.append(edge)
        if our_hop > 0:
            self._count_ours(route, chosen, our_hop, fail_at)
        if fail_at >= 0:
            self._report(route, amounts, sender, fail_at, now_s)
            return False
        self._settle(route, amounts, chosen, sender, our_hop, now_s)
        return True

    def _count_ours(self, route: Route, chosen: list[int], our_hop: int, fail_at: int) -> None:
        out_edge = chosen[our_hop] if len(chosen) > our_hop else self._first_enabled(route[our_hop])
        _bump(self.ours.out_offered, out_edge >> 1)
        if fail_at == our_hop:
            _bump(self.ours.out_failed_liquidity, out_edge >> 1)

    def _first_enabled(self, pair: int) -> int:
        net = self.net
        return next((e for e in net.pair_edges[pair] if net.enabled[e]), net.pair_edges[pair][0])

    def _report(self, route: Route, amounts: list[int], sender: int, fail_at: int, now_s: float) -> None:
        net, mission = self.net, self.mission
        for k in range(1, fail_at):
            mission.record_success(sender, net.pair_src[route[k]], net.pair_dst[route[k]], amounts[k])
        pair = route[fail_at]
        mission.record_failure(sender, net.pair_src[pair], net.pair_dst[pair], amounts[fail_at], now_s)

    def _settle(self, route: Route, amounts: list[int], chosen: list[int], sender: int, our_hop: int,
                now_s: float) -> None:
        net, mission = self.net, self.mission
        for k, edge in enumerate(chosen):
            net.move(edge, amounts[k])
            if k:
                pair = route[k]
                net.node_fee_msat[net.pair_src[pair]] += amounts[k - 1] - amounts[k]
                mission.record_success(sender, net.pair_src[pair], net.pair_dst[pair], amounts[k])
        if our_hop > 0:
            in_channel, out_channel = chosen[our_hop - 1] >> 1, chosen[our_hop] >> 1
            _bump(self.ours.in_fulfilled, in_channel)
            _bump(self.ours.out_fulfilled, out_channel)
            amount_in, amount_out = amounts[our_hop - 1], amounts[our_hop]
            self.ours.forwards.append((net.chan_id[in_channel], net.chan_id[out_channel], amount_in, amount_out,
                                       amount_in - amount_out, now_s))


def _bump(counter: dict[int, int], key: int) -> None:
    counter[key] = counter.get(key, 0) + 1
