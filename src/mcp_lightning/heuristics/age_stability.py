"""Age and stability: how long the channel has existed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01
from mcp_lightning.units import BLOCKS_PER_DAY


@dataclass(frozen=True, slots=True)
class AgeStability:
    """How established the channel is: a young channel has not had time to attract flow.

    ``value = min(1, age_blocks / mature_blocks)``, age from the scid's funding block to the chain
    tip; an unconfirmed channel scores 0.

    Source: the scid's block height (BOLT 7); routing flow builds up as other nodes learn the
    channel and its reliability (LND mission control remembers successes).
    """

    name: ClassVar[str] = "age_stability"
    mature_blocks: int = 8640  # about 60 days

    def score(self, ctx: ChannelContext) -> Score:
        """Score the channel's age; see the class docstring."""
        age_blocks = ctx.age_blocks
        if age_blocks is None:
            return Score(0.0, "Channel has no confirmed short channel id yet.")
        value = age_blocks / self.mature_blocks
        return Score(
            clamp01(value), f"Channel is {age_blocks} blocks old (about {age_blocks / BLOCKS_PER_DAY:.0f} days)."
        )
