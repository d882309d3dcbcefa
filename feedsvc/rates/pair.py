"""A currency pair, 1 base = rate quote: the key of every series, on the write side and the read side."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from feedsvc.rates.constants import USD


@dataclass(frozen=True)
class Pair:
    """1 ``base`` = rate ``quote``."""

    base: str
    quote: str

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"

    def __hash__(self) -> int:  # a dict key of every row of a long series: hashed once, not per lookup
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.base, self.quote))

    @cached_property  # read for every row of a series
    def currencies(self) -> tuple[str, ...]:
        """The stored currencies this pair needs (USD is never stored: it is 1)."""
        return tuple(c for c in (self.base, self.quote) if c != USD)
