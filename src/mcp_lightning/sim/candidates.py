"""Candidate routes per (sender, destination) pair, precomputed with Dijkstra on a compact graph.

Running LND's pathfinding per payment in Python is far too slow for thousands of payments a second.
Instead, before the run, every destination gets a few shortest-path trees computed backwards from
it (``scipy.sparse.csgraph.dijkstra`` on the transposed pair-edge graph, in C), each under a
different *recipe*. In each tree a sender takes the neighbour nearest the destination — its own
channel costs it no fee and its balance is known, as in LND — and that neighbour's tree path; its
candidates are the distinct routes so found. During the run the
sender ranks its candidates with LND's exact cost (``sim.payments``) under the current fees and
mission control, and retries the next one on failure.

Edge weight (additive, at a reference amount ``A``)::

    w = fee(A) + A * cltv * 15e-9 + attempt_cost(A) * -ln(0.6 * capacity_factor(A))

the fee, LND's time-lock risk term, and LND's probability penalty ``attempt_cost / P`` linearised
(``1/P ≈ 1 - ln P`` near 1, so hop probabilities add in log space). The recipes:

* ``real``: everyone's current fees;
* ``our_free``: our outbound fees at 0 — the best route through us if we were free, so a strategy
  that lowers fees can win traffic the ``real`` tree would not show;
* ``without_us``: our node removed — the best competing route;
* ``without_us_alt``: our node removed, edges of the routes above penalised x3 — a second competitor;
* ``our_free_alt``: our fees at 0, edges of the ``our_free`` routes penalised x3 — a second route via us.

Effect: a sender sees at most five routes (usually two to four distinct), all of them ones LND's
search would rank near the top; routes LND would find only after many failures are missing, so
end-to-end success is lower than LND's. Every strategy sees the same candidates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.probability import APRIORI_HOP_PROBABILITY, capacity_factor

Route = tuple[int, ...]  # pair edges from the sender to the destination
MAX_HOPS = 20  # LND's route length limit
RISK_FACTOR = 15e-9  # LND RiskFactorBillionths / 1e9
ATTEMPT_COST_MSAT = 100_000  # LND DefaultAttemptCost (100 sat)
ATTEMPT_COST_PPM = 1000  # LND DefaultAttemptCostPPM
_UNREACHABLE = 1e18


@dataclass(frozen=True, slots=True)
class Recipe:
    """How one tree is weighted: our fees at zero, our node removed, earlier trees' edges penalised."""

    name: str
    our_free: bool = False
    without_us: bool = False
    penalize: tuple[str, ...] = ()
    penalty_factor: float = 3.0


RECIPES: tuple[Recipe, ...] = (
    Recipe("real"),
    Recipe("our_free", our_free=True),
    Recipe("without_us", without_us=True),
    Recipe("without_us_alt", without_us=True, penalize=("real", "without_us")),
    Recipe("our_free_alt", our_free=True, penalize=("our_free",)),
)


def base_weights(net: SimNetwork, reference_msat: int) -> np.ndarray:
    """Additive weight of every pair edge at ``reference_msat`` (see the module docstring), msat."""
    n_pairs = len(net.pair_src)
    weights = np.empty(n_pairs, dtype=np.float64)
    attempt = ATTEMPT_COST_MSAT + reference_msat * ATTEMPT_COST_PPM / 1e6
    for pair in range(n_pairs):
        probability = APRIORI_HOP_PROBABILITY * capacity_factor(reference_msat, net.pair_cap_msat[pair])
        penalty = attempt * -math.log(probability) if probability > 0 else _UNREACHABLE
        weights[pair] = (net.pair_fee_msat(pair, reference_msat) + reference_msat * net.pair_cltv[pair] * RISK_FACTOR
                         + penalty)
    return weights


class CandidateBuilder:
    """Computes the trees of :data:`RECIPES` for destinations and extracts senders' routes."""

    def __init__(self, net: SimNetwork, reference_msat: int, recipes: Sequence[Recipe] = RECIPES) -> None:
        self.net = net
        self.recipes = tuple(recipes)
        self.weights = base_weights(net, reference_msat)
        src = np.asarray(net.pair_src, dtype=np.int64)
        dst = np.asarray(net.pair_dst, dtype=np.int64)
        # transposed graph: an edge dst -> src, so Dijkstra from a destination walks towards senders
        order = np.lexsort((src, dst))
        self._order = order
        self._indices = src[order].astype(np.int32)
        self._indptr = np.searchsorted(dst[order], np.arange(net.n_nodes + 1)).astype(np.int32)
        out_order = np.argsort(src, kind="stable")
        starts = np.searchsorted(src[out_order], np.arange(net.n_nodes + 1))
        self._out_pairs = [out_order[starts[i]:starts[i + 1]] for i in range(net.n_nodes)]
        self._dst = dst
        our = net.our
        self._our_out = np.flatnonzero(src == our)
        self._touches_us = np.flatnonzero((src == our) | (dst == our))
        self._our_free_weights = self.weights.copy()
        for pair in self._our_out.tolist():
            self._our_free_weights[pair] -= net.pair_fee_msat(pair, reference_msat)

    def routes_to(self, destination: int, senders: Iterable[int]) -> dict[int, tuple[Route, ...]]:
        """Candidate routes from each sender to ``destination`` (distinct, in recipe order).

        Args:
            destination: node index.
            senders: node indices (the destination itself and unreachable senders get no routes).

        Returns:
            sender -> routes; each route is a tuple of pair edges, sender first.
        """
        wanted = [s for s in sorted(set(senders) - {destination}) if self._out_pairs[s].size]
        found: dict[int, list[Route]] = {s: [] for s in wanted}
        used: dict[str, set[int]] = {}
        segments = _Segments([self._out_pairs[s] for s in wanted], self._dst)
        for recipe in self.recipes:
            weights = self._recipe_weights(recipe, used)
            distances, predecessors = self._tree(weights, destination)
            first_hops = segments.closest(distances).tolist()
            edges: set[int] = set()
            for sender, first in zip(wanted, first_hops, strict=True):
                route = self._route_via(first, distances, predecessors, sender, destination)
                if route is None or (recipe.without_us and self._passes_us(route)):
                    continue
                edges.update(route)
                if route not in found[sender]:
                    found[sender].append(route)
            used[recipe.name] = edges
        return {s: tuple(routes) for s, routes in found.items() if routes}

    def _recipe_weights(self, recipe: Recipe, used: Mapping[str, set[int]]) -> np.ndarray:
        weights = (self._our_free_weights if recipe.our_free else self.weights).copy()
        if recipe.without_us:
            weights[self._touches_us] = _UNREACHABLE
        for name in recipe.penalize:
            penalised = np.fromiter(used.get(name, ()), dtype=np.int64)
            if penalised.size:
                weights[penalised] *= recipe.penalty_factor
        return weights

    def _tree(self, weights: np.ndarray, destination: int) -> tuple[np.ndarray, np.ndarray]:
        graph = csr_matrix((weights[self._order], self._indices, self._indptr), shape=(self.net.n_nodes,) * 2)
        distances, predecessors = dijkstra(graph, directed=True, indices=destination, return_predecessors=True)
        return distances, predecessors

    def _route_via(self, first: int, distances: np.ndarray, predecessors: np.ndarray, sender: int,
                   destination: int) -> Route | None:
        """The route through the sender's closest neighbour (``first`` pair edge), else the scalar search."""
        head = int(self._dst[first])
        if not np.isfinite(distances[head]) or distances[head] >= _UNREACHABLE:
            return None
        rest = self._path(predecessors, head, destination, avoid=sender)
        if rest is not None:
            return (first, *rest)
        return self._route(distances, predecessors, sender, destination)

    def _route(self, distances: np.ndarray, predecessors: np.ndarray, sender: int, destination: int) -> Route | None:
        """The sender's own channel costs it nothing (no fee, known balance): it takes the neighbour
        closest to the destination, then that neighbour's tree path (LND's search likewise adds no fee
        and no probability for the source's local channels)."""
        pairs = self._out_pairs[sender]
        if pairs.size == 0:
            return None
        heads = self._dst[pairs]
        reach = distances[heads]
        if pairs.size > 4:
            top = np.argpartition(reach, 3)[:4]
            order = top[np.lexsort((pairs[top], reach[top]))]
        else:
            order = np.lexsort((pairs, reach))
        for k in order.tolist():
            head = int(heads[k])
            if not np.isfinite(distances[head]) or distances[head] >= _UNREACHABLE:
                return None
            rest = self._path(predecessors, head, destination, avoid=sender)
            if rest is not None:
                return (int(pairs[k]), *rest)
        return None

    def _path(self, predecessors: np.ndarray, start: int, destination: int, *, avoid: int) -> Route | None:
        route: list[int] = []
        node = start
        while node != destination:
            nxt = int(predecessors[node])
            if nxt < 0 or nxt == avoid or len(route) >= MAX_HOPS:
                return None
            route.append(self.net.pair_of[(node, nxt)])
            node = nxt
        return tuple(route)

    def _passes_us(self, route: Route) -> bool:
        our = self.net.our
        return any(self.net.pair_src[p] == our or self.net.pair_dst[p] == our for p in route)


class _Segments:
    """The out pair edges of many senders, flattened, to pick each sender's closest neighbour at once."""

    def __init__(self, pairs_per_sender: Sequence[np.ndarray], dst: np.ndarray) -> None:
        lengths = np.array([p.size for p in pairs_per_sender], dtype=np.int64)
        self.pairs = np.concatenate(pairs_per_sender) if pairs_per_sender else np.empty(0, dtype=np.int64)
        self.heads = dst[self.pairs]
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if lengths.size else lengths
        self.lengths = lengths

    def closest(self, distances: np.ndarray) -> np.ndarray:
        """Per sender, the pair edge whose head is nearest the destination (lowest pair id on ties)."""
        if self.pairs.size == 0:
            return self.pairs
        reach = distances[self.heads]
        best = np.minimum.reduceat(reach, self.starts)
        hits = np.flatnonzero(reach == np.repeat(best, self.lengths))
        first: np.ndarray = self.pairs[hits[np.searchsorted(hits, self.starts)]]
        return first


def touches_node(net: SimNetwork, routes: Iterable[Route], node: int) -> bool:
    """Whether any route forwards through ``node`` (as an intermediate hop)."""
    return any(net.pair_src[p] == node for route in routes for p in route[1:])
