"""The simulator's models: LND probabilities, amount fit, demand, balances, archetypes, scenarios."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mcp_lightning.domain.forward import Forward
from mcp_lightning.errors import ConfigError
from mcp_lightning.sim.archetypes import apply_archetype
from mcp_lightning.sim.balances import draw_splits
from mcp_lightning.sim.demand import fit_amounts
from mcp_lightning.sim.probability import BimodalEstimator, MissionControl, capacity_factor
from mcp_lightning.sim.scenario import load_scenario
from mcp_lightning.sim.toy import TOY_NOW, toy_graph, toy_node
from mcp_lightning.units import Msat


def test_capacity_factor_follows_lnd_logistic() -> None:
    """1 for small amounts, 0.75 at the 0.9999 cutoff, 0 above the capacity."""
    assert capacity_factor(1_000, 1_000_000) == pytest.approx(1.0)
    assert capacity_factor(999_900, 1_000_000) == pytest.approx(0.75)
    assert capacity_factor(1_000_001, 1_000_000) == 0.0


def test_apriori_probability_drops_after_a_failure_and_recovers_with_a_one_hour_half_life() -> None:
    """Untried 0.6; right after a failure 0; one hour later the node probability x 1/2."""
    mc = MissionControl()
    assert mc.probability(1, 2, 3, 1000, 10**9, 0.0) == pytest.approx(0.6)
    mc.record_failure(1, 2, 3, 1000, 0.0)
    assert mc.probability(1, 2, 3, 1000, 10**9, 0.0) == pytest.approx(0.0)
    node_probability = 0.6 / (1 + 0.5)  # a-priori factor 1, failure weight 2^-1 after an hour
    assert mc.probability(1, 2, 3, 1000, 10**9, 3600.0) == pytest.approx(node_probability * 0.5)
    assert mc.probability(1, 2, 4, 1000, 10**9, 0.0) == pytest.approx(0.6 / 2)  # the node is penalised too
    assert mc.probability(1, 2, 3, 999, 10**9, 0.0) == pytest.approx(0.6)  # below the failed amount
    assert mc.probability(9, 2, 3, 1000, 10**9, 0.0) == pytest.approx(0.6)


def test_apriori_probability_trusts_amounts_below_a_success() -> None:
    """A success at 5,000 msat gives 0.95 up to that amount."""
    mc = MissionControl()
    mc.record_success(1, 2, 3, 5000)
    assert mc.probability(1, 2, 3, 5000, 10**9, 0.0) == pytest.approx(0.95)


def test_bimodal_probability_is_one_below_a_success_and_zero_above_a_failure() -> None:
    """Known bounds pin the bimodal estimate; an untried small amount is likely."""
    est = BimodalEstimator()
    capacity = 10_000_000_000
    assert est.probability(1, 2, 3, 1_000_000, capacity, 0.0) > 0.5
    est.record_failure(1, 2, 3, 2_000_000, 0.0)
    est.record_success(1, 2, 3, 1_000_000)
    assert est.probability(1, 2, 3, 900_000, capacity, 0.0) == 1.0
    assert est.probability(1, 2, 3, 2_500_000, capacity, 0.0) == 0.0


def test_amount_fit_recovers_lognormal_parameters() -> None:
    """Fitting 20,000 log-normal draws recovers mu and sigma within 2 %."""
    rng = np.random.default_rng(5)
    amounts = rng.lognormal(17.0, 2.0, 20_000)
    forwards = [Forward(1, 2, Msat(int(a) + 1), Msat(int(a)), Msat(1), TOY_NOW) for a in amounts]
    fit = fit_amounts(forwards)
    assert fit.mu == pytest.approx(17.0, rel=0.02)
    assert fit.sigma == pytest.approx(2.0, rel=0.02)
    draws = fit.draw(np.random.default_rng(1), 1000)
    assert draws.min() >= 1000 and draws.max() <= fit.max_msat and np.all(draws % 1000 == 0)


def test_amount_fit_refuses_too_few_forwards() -> None:
    """Fewer than ten forwards cannot be fitted."""
    with pytest.raises(ValueError, match="at least 10"):
        fit_amounts(toy_node().forwards[:3])


@pytest.mark.parametrize("model", ["uniform", "half", "bimodal"])
def test_balance_models_stay_within_capacity(model: str) -> None:
    """Every model puts node1's balance in [0, capacity]; half is exactly half."""
    caps = np.array([1_000_000_000, 5_000_000_000, 20_000_000], dtype=np.int64)
    splits = draw_splits(caps, model, np.random.default_rng(0))
    assert np.all((splits >= 0) & (splits <= caps))
    if model == "half":
        assert splits.tolist() == (caps // 2).tolist()


def test_saturated_archetype_depletes_every_public_channel() -> None:
    """Each public channel keeps 5 % local."""
    node, flows = apply_archetype("saturated", toy_node(), toy_graph(), {"local_ratio": 0.05})
    assert not flows
    assert all(c.local_balance_sat == round(c.capacity_sat * 0.05) for c in node.channels)


def test_inactive_archetype_prices_out_and_drops_recent_forwards() -> None:
    """Every fee at 3,000 ppm; no forward in the last 30 days."""
    node, _ = apply_archetype("inactive", toy_node(), toy_graph(), {"fee_rate_ppm": 3000})
    assert {c.local_policy.fee_rate_ppm for c in node.channels if c.local_policy} == {3000}
    assert node.forwards == ()


def test_abused_archetype_makes_one_channel_cheap_and_adds_a_draining_flow() -> None:
    """The largest channel drops to 1 ppm at 90 % local; a flow pays its peer from another peer."""
    base = toy_node()
    node, flows = apply_archetype("abused", base, toy_graph(), {})
    changed = [c for c, b in zip(node.channels, base.channels, strict=True) if c != b]
    assert len(changed) == 1 and changed[0].local_policy.fee_rate_ppm == 1  # type: ignore[union-attr]
    assert flows[0].receiver == changed[0].peer_pubkey and flows[0].sender != flows[0].receiver


def test_star_and_new_node_archetypes_add_channels_to_the_largest_nodes() -> None:
    """star keeps the channels and adds hubs; new_node is a new id with fresh half-local channels."""
    star, _ = apply_archetype("star", toy_node(), toy_graph(), {"n_channels": 2})
    assert len(star.channels) == len(toy_node().channels) + 2
    new, _ = apply_archetype("new_node", toy_node(), toy_graph(), {"n_channels": 3})
    assert new.pubkey != toy_node().pubkey and new.forwards == ()
    assert all(2 * c.local_balance_sat == c.capacity_sat for c in new.channels) and len(new.channels) == 3


def test_scenario_files_in_the_repository_load() -> None:
    """Every bundled scenario validates, with ten seeds or more."""
    files = sorted(Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml"))
    assert len(files) >= 6
    assert all(len(load_scenario(f).seeds) >= 10 for f in files)


def test_scenario_with_a_bad_value_names_the_file_key_and_value(tmp_path: Path) -> None:
    """A negative rate is refused with the key path and the value in the message."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ndemand: {payments_per_day: -5}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: key 'demand.payments_per_day' has value -5"):
        load_scenario(path)


def test_scenario_with_an_unknown_archetype_lists_the_known_ones(tmp_path: Path) -> None:
    """An unknown archetype kind is a configuration error naming the alternatives."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\narchetype: {kind: grumpy}\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert "grumpy" in info.value.message and "saturated" in (info.value.hint or "")


def test_capacity_factor_of_an_amount_at_capacity_is_near_its_floor() -> None:
    """At the full capacity the factor is close to LND's 0.5 floor."""
    assert capacity_factor(1_000_000, 1_000_000) == pytest.approx(1 - 0.5 / (1 + math.exp(-0.0001 / 0.025)), rel=1e-9)
