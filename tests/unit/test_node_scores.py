"""Node and channel scores of whole snapshots: formulas on the hand-checked fixture, and the full 2025 graph."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from mcp_lightning.domain.graph import Graph
from mcp_lightning.graph import compute_topology, load_graph
from mcp_lightning.scoring.channel_scores import score_channel
from mcp_lightning.scoring.features import group_medians
from mcp_lightning.scoring.node_scores import (
    SCORE_NAMES,
    ScoreTable,
    ScoreWeights,
    fee_values,
    reliability_values,
    rescore_node,
    score_nodes,
)
from mcp_lightning.scoring.rankings import RankingQuery, rank_nodes

FIXTURES = Path(__file__).parents[1] / "fixtures" / "graph"
FULL_GRAPH = Path(__file__).parents[2] / "data" / "graph" / "describegraph_2025-10-26.json.gz"
ALICE, BOB, CAROL, DAVE, ERIN = ("02" + "a" * 64, "02" + "b" * 64, "03" + "c" * 64, "02" + "d" * 64,
                                 "03" + "e" * 64)


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The small LND fixture graph (5 nodes, 5 kept channels; erin's only channel is a pruned zombie)."""
    return load_graph(FIXTURES / "describegraph_small.json")


@pytest.fixture(scope="module")
def table(graph: Graph) -> ScoreTable:
    """Every node of the fixture scored with exact topology."""
    return score_nodes(graph, compute_topology(graph, method="exact"))


def test_every_node_of_the_graph_is_scored_even_without_channels(table: ScoreTable) -> None:
    """All five announced nodes have a row; erin, with no channel left, scores 0 everywhere."""
    assert len(table) == 5 and all(p in table for p in (ALICE, BOB, CAROL, DAVE, ERIN))
    erin = table.node(ERIN)
    assert erin is not None and erin.n_channels == 0
    assert [getattr(erin, name) for name in SCORE_NAMES] == [0.0] * 5
    assert "No public channel" in erin.reasons["reliability"]


def test_scores_stay_in_the_unit_range_and_each_has_a_reason(table: ScoreTable) -> None:
    """Every value of every score column is in [0, 1]; every shown node has five reasons."""
    assert all(((c >= 0) & (c <= 1)).all() for c in table.scores.values())
    assert all(len(table.row(i).reasons) == 5 for i in range(len(table)))


def test_fee_competitiveness_is_one_half_at_the_network_median(table: ScoreTable) -> None:
    """m / (m + fee): 1 at 0 ppm, 0.5 at the median m, 1/11 at ten times it, 0 without a usable fee."""
    m = table.features.network_median_fee_rate_ppm
    values = fee_values(np.array([0.0, m, 10 * m, math.nan]), m)
    assert values.tolist() == pytest.approx([1.0, 0.5, 1 / 11, 0.0])
    assert m == 150.0  # the fixture's network median (tests/fixtures/graph/README.md)


def test_reliability_halves_every_half_life_and_counts_null_directions_as_not_enabled() -> None:
    """A node with 4 channels, 3 announced, 1 disabled, policies 14 days old: (2/4) * 0.5 = 0.25."""
    value = reliability_values(np.array([4, 4, 0]), np.array([3, 3, 0]), np.array([1, 1, 0]),
                               np.array([14.0, math.nan, math.nan]), half_life_days=14.0)
    assert value.tolist() == pytest.approx([0.25, 0.5, 0.0])


def test_bob_reliability_counts_his_dropped_policy_and_his_stale_side(table: ScoreTable) -> None:
    """Bob's absurd policy was dropped at ingest (2 of 3 directions usable), ages fresh and 20 days: median 10."""
    bob = table.node(BOB)
    assert bob is not None and bob.n_channels == 3 and bob.n_disabled == 0
    assert bob.median_policy_age_days == pytest.approx(10.0, abs=0.05)
    assert bob.reliability == pytest.approx(2 / 3 * 0.5 ** (bob.median_policy_age_days / 14), rel=1e-3)
    assert bob.reasons["reliability"].startswith("2 of its 3 channel directions")


def test_composite_is_the_weighted_mean_of_the_four_scores(table: ScoreTable) -> None:
    """composite = (0.35 c + 0.25 r + 0.25 cap + 0.15 f) / 1.0 for every node."""
    w = ScoreWeights()
    s = table.scores
    expected = (w.centrality * s["centrality"] + w.reliability * s["reliability"] + w.capacity * s["capacity"]
                + w.fee_competitiveness * s["fee_competitiveness"])
    assert np.allclose(s["composite"], expected)


def test_ranks_follow_the_composite_best_first(table: ScoreTable) -> None:
    """Rank 1 has the highest composite and ranks are a permutation of 1..n."""
    order = np.argsort(table.rank)
    assert sorted(table.rank.tolist()) == [1, 2, 3, 4, 5]
    assert np.all(np.diff(table.scores["composite"][order]) <= 0)


def test_rescoring_one_node_gives_the_table_row(table: ScoreTable) -> None:
    """force_recalculate's path recomputes each node's row equal to the whole-graph computation."""
    for pubkey in (ALICE, BOB, CAROL, DAVE, ERIN):
        assert rescore_node(table, pubkey) == table.node(pubkey)
    assert rescore_node(table, "02" + "0" * 64) is None


def test_rankings_filter_sort_and_page(table: ScoreTable) -> None:
    """Nodes with 3+ channels sorted by capacity ascending: bob before carol; page 2 holds carol alone."""
    query = RankingQuery(sort_by="capacity_sat", order="asc", min_channels=3, limit=1)
    assert [r.pubkey for r in rank_nodes(table, query).rows] == [BOB]
    page = rank_nodes(table, replace(query, offset=1))
    assert page.total == 2 and [r.pubkey for r in page.rows] == [CAROL]
    with pytest.raises(ValueError, match="sort_by"):
        rank_nodes(table, RankingQuery(sort_by="alias"))


def test_group_medians_average_the_two_middle_values_and_skip_nan() -> None:
    """Group 0 [1, 3, 10, nan] -> 3; group 1 [2, 4] -> 3; group 2 empty -> nan."""
    medians = group_medians(np.array([0, 0, 0, 0, 1, 1]), np.array([10.0, 1.0, 3.0, math.nan, 4.0, 2.0]), 3)
    assert medians[:2].tolist() == [3.0, 3.0] and math.isnan(medians[2])


def test_a_channel_score_reads_both_directions(graph: Graph, table: ScoreTable) -> None:
    """bob-carol's absurd policy was dropped and the other is disabled: unavailable, not competitive, still scored."""
    channel = next(c for c in graph.channels if str(c.scid) == "800000x3x1")
    score = score_channel(table, channel)
    assert score.availability == 0.0 and score.fee_competitiveness == 0.0
    assert [d.announced for d in score.directions] == [False, True]
    assert "cannot route" in score.reasons["fee_competitiveness"]
    assert 0.0 <= score.composite <= 1.0


def test_policy_ages_are_measured_at_the_given_time(graph: Graph) -> None:
    """Scoring 28 days after the snapshot quarters the recency of fresh policies (two half-lives)."""
    topology = compute_topology(graph, method="exact")
    now = score_nodes(graph, topology)
    later = score_nodes(graph, topology, now=graph.taken_at + timedelta(days=28))
    alice_now, alice_later = now.node(ALICE), later.node(ALICE)
    assert alice_now is not None and alice_later is not None
    assert alice_later.reliability == pytest.approx(alice_now.reliability / 4, rel=1e-6)


@pytest.mark.slow
def test_the_whole_2025_graph_is_scored_in_well_under_two_seconds() -> None:
    """All 12,842 nodes of the 2025-10-26 graph get scores in [0, 1], in one vectorised pass (< 2 s)."""
    full = load_graph(FULL_GRAPH)
    topology = compute_topology(full, method="sampled", n_pivots=50)
    started = time.perf_counter()
    table = score_nodes(full, topology)
    elapsed_s = time.perf_counter() - started
    assert len(table) == 12_842 and elapsed_s < 2.0
    assert all(((c >= 0) & (c <= 1)).all() for c in table.scores.values())
    assert rank_nodes(table, RankingQuery(limit=500)).total == 12_842
