"""Initial balances of the channels that are not ours (nobody outside a channel knows its split).

Three documented models, drawn from the run's seeded generator:

* ``uniform`` (default) — node1's share is uniform on [0, 1]: the "random balance model" LND's
  ``probability_apriori.go`` cites for ``P(a) = 1 - a/c``.
* ``half`` — every channel split 50/50: the optimistic textbook start (no randomness).
* ``bimodal`` — density ``∝ exp(-x/s) + exp((x - c)/s)`` with scale ``s`` (LND's bimodal
  estimator's assumption that most channels are drained to one side; ``BimodalScaleMsat`` default
  300,000 sat).
"""

from __future__ import annotations

import numpy as np

BALANCE_MODELS = ("uniform", "half", "bimodal")
DEFAULT_BIMODAL_SCALE_MSAT = 300_000_000


def draw_splits(capacity_msat: np.ndarray, model: str, rng: np.random.Generator,
                scale_msat: int = DEFAULT_BIMODAL_SCALE_MSAT) -> np.ndarray:
    """Node1's initial balance for each channel, msat, in [0, capacity].

    Args:
        capacity_msat: capacities, msat (int64 array).
        model: one of :data:`BALANCE_MODELS`.
        rng: the seeded generator (advanced by one draw per channel, even for ``half``).
        scale_msat: the bimodal scale, msat.

    Returns:
        int64 array of node1's balances.

    Raises:
        ValueError: for an unknown model.
    """
    caps = capacity_msat.astype(np.float64)
    uniform = rng.random(caps.size)
    if model == "uniform":
        share = uniform
    elif model == "half":
        share = np.full(caps.size, 0.5)
    elif model == "bimodal":
        share = _bimodal_share(caps, uniform, rng, float(scale_msat))
    else:
        raise ValueError(f"unknown balance model {model!r}; expected one of {', '.join(BALANCE_MODELS)}")
    return np.clip(np.rint(share * caps), 0, caps).astype(np.int64)


def _bimodal_share(caps: np.ndarray, uniform: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Inverse-CDF draw of ``exp(-x/s)`` on [0, c] mirrored to either edge with probability 1/2."""
    ratio = np.minimum(caps / scale, 700.0)
    # truncated exponential on [0, c]: x = -s * ln(1 - u * (1 - exp(-c/s)))
    x = -scale * np.log1p(-uniform * (-np.expm1(-ratio)))
    mirror = rng.random(caps.size) < 0.5
    x = np.where(mirror, caps - x, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        share: np.ndarray = np.where(caps > 0, x / caps, 0.5)
    return share
