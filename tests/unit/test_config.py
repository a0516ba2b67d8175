"""Configuration: the bundled file, profiles, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_lightning.config import config_fingerprint, default_config_path, load_engine_config
from mcp_lightning.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    """Write a YAML file and return its path."""
    path = tmp_path / "mcpln.yaml"
    path.write_text(text)
    return path


def default_text() -> str:
    """The bundled configuration's text."""
    return default_config_path().read_text()


def test_bundled_config_loads_all_three_profiles() -> None:
    """conservative, balanced and aggressive all resolve, with eight heuristics each."""
    for name in ("conservative", "balanced", "aggressive"):
        config = load_engine_config(profile=name)
        assert config.profile == name and len(config.heuristics) == 8


def test_profiles_have_distinct_fingerprints() -> None:
    """Each profile resolves to a different configuration, and the same one twice to the same fingerprint."""
    prints = {config_fingerprint(load_engine_config(profile=p)) for p in ("conservative", "balanced", "aggressive")}
    assert len(prints) == 3
    assert config_fingerprint(load_engine_config()) == config_fingerprint(load_engine_config())


def test_a_heuristic_can_be_disabled(tmp_path: Path) -> None:
    """enabled: false removes a heuristic from the composite."""
    text = default_text().replace(
        "peer_quality:     {weight: 0.03}", "peer_quality:     {weight: 0.03, enabled: false}"
    )
    config = load_engine_config(write(tmp_path, text))
    assert "peer_quality" not in {h.heuristic.name for h in config.heuristics}


def test_heuristic_parameters_come_from_the_file(tmp_path: Path) -> None:
    """A parameter set in YAML reaches the heuristic instance."""
    text = default_text().replace("mature_blocks: 8640", "mature_blocks: 1000")
    config = load_engine_config(write(tmp_path, text))
    age = next(h.heuristic for h in config.heuristics if h.heuristic.name == "age_stability")
    assert age.mature_blocks == 1000  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("centrality:", "centrallity:", "heuristics.centrallity' names no heuristic"),
        ("target_local_ratio: 0.5}", "target_ratio: 0.5}", "heuristics.liquidity.params.target_ratio"),
        ("max_change_ratio: 0.5 ", "max_change_ratio: -1 ", "key 'safety.max_change_ratio' has value -1"),
        ("cooldown_s: 3600", "cooldown_s: soon", "key 'safety.cooldown_s' has value \"soon\""),
        ("optimal_min: 0.7 ", "optimal_min: 0.05 ", "bands"),
        ("  min_delta_ppm: 5", "  min_delta_pmm: 5", "safety.min_delta_pmm"),
        ("max_htlc_local_ratio: 0.5", "max_htlc_local_ratio: 1.5", "key 'valve.max_htlc_local_ratio' has value 1.5"),
        ("engage_below_local_ratio: 0.5", "engage_below_ratio: 0.5", "valve.engage_below_ratio"),
    ],
)
def test_bad_values_name_the_file_key_and_value(tmp_path: Path, old: str, new: str, expected: str) -> None:
    """Each invalid configuration is a ConfigError naming the file, the key and the value."""
    text = default_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_engine_config(path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_the_valve_can_be_turned_off(tmp_path: Path) -> None:
    """valve.enabled: false reaches the engine (which then never proposes an HTLC limit)."""
    assert load_engine_config().valve.enabled
    config = load_engine_config(write(tmp_path, default_text().replace("  enabled: true ", "  enabled: false ", 1)))
    assert not config.valve.enabled


def test_unknown_profile_lists_the_defined_ones() -> None:
    """An unknown profile name is an error whose hint lists the known profiles."""
    with pytest.raises(ConfigError) as info:
        load_engine_config(profile="yolo")
    assert "yolo" in str(info.value) and info.value.hint and "aggressive" in info.value.hint


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    """Broken YAML is reported with its line number."""
    with pytest.raises(ConfigError, match=r"invalid YAML at line [23]"):
        load_engine_config(write(tmp_path, "profile: balanced\nheuristics: [a: b\n"))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A missing file is a ConfigError with a hint."""
    with pytest.raises(ConfigError, match="not found"):
        load_engine_config(tmp_path / "nope.yaml")
