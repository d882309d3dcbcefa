"""Which stored rows a query reads, and whether the materialised X/USD lines and sums serve it.

Decided here once per request; everything downstream follows the ``ReadPath`` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedsvc.rates.constants import USD
from feedsvc.rates.read.params import RateQuery


@dataclass(frozen=True)
class ReadPath:
    """Where a query's rows come from.

    ``own``: the one source whose own observations are read (``source=NAME``, or a single enabled source);
    None: ``rate_served``, the first source by priority. ``materialised``: every pair is X/USD over
    ``rate_served``, so the stored CSV lines (long day rows) and month sums (periods) answer it.
    """

    own: str | None
    materialised: bool
    layout: str = "long"
    group: str = "day"

    @property
    def stored_lines(self) -> bool:
        """True when the long CSV of day rows is the stored lines, one column of one range scan."""
        return self.materialised and self.layout == "long" and self.group == "day"

    @property
    def stored_periods(self) -> bool:
        """True when period rows are summed from the stored quotients and month sums."""
        return self.materialised and self.group != "day"


def choose_path(query: RateQuery, enabled: tuple[str, ...]) -> ReadPath:
    """The path of ``query`` with ``enabled`` sources in priority order."""
    own = query.source or (enabled[0] if len(enabled) == 1 else None)
    materialised = own is None and all(pair.quote == USD for pair in query.pairs)
    return ReadPath(own, materialised, query.layout, query.group)
