"""The heuristic protocol: a named, pure scoring function of a channel context."""

from __future__ import annotations

from typing import ClassVar, Protocol

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score


class Heuristic(Protocol):
    """A pure function of a :class:`ChannelContext` returning a :class:`Score` in [0, 1].

    1 means healthy in the dimension the heuristic measures, 0 means in trouble. Implementations
    are frozen dataclasses whose fields are their parameters; ``name`` is the key used in
    configuration, storage and output.
    """

    name: ClassVar[str]

    def score(self, ctx: ChannelContext) -> Score:
        """Score one channel; never raises for a well-formed context."""
        ...
