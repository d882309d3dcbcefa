"""Any pair by the day's best path (served/pairs.py resolves it), as the rows of a query.

``select_pairs`` resolves a query's pairs day by day and numbers the rows (change, previous date, the
weekend repeat rule); the stored lines of materialised pairs (served/pair_lines.py) are the same rows,
numbered on write.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy.orm import Session

from feedsvc.rates.read.params import RateQuery
from feedsvc.rates.read.paths import ReadPath
from feedsvc.rates.read.series import RateRow
from feedsvc.rates.served.numbering import number_rows
from feedsvc.rates.served.pairs import REPEAT_DAYS, Plan, plan_of, resolve_days

__all__ = ["Plan", "make_plan", "select_pairs"]


def make_plan(path: ReadPath, enabled: tuple[str, ...]) -> Plan:
    """The plan of a query on ``path``: one source's own table, or every enabled source by priority."""
    return plan_of(path.own, enabled)


def select_pairs(session: Session, query: RateQuery, plan: Plan,
                 lookback: int = REPEAT_DAYS) -> Iterator[RateRow]:
    """Rows of every pair of a resolved ``query``, by date then pair order, lazily.

    ``change_pct`` compares with the pair's previous new observation, which may lie before ``from``: the
    ``lookback`` days before it are resolved too: a change is never given across more than CHANGE_DAYS,
    and a weekend row repeating the day before's table keeps that row's change (served/pairs.py), so
    REPEAT_DAYS make a row's change the same whatever ``from`` is.
    """
    assert query.start is not None and query.end is not None, "resolve the range first"
    begin = query.start - timedelta(days=lookback)
    days = resolve_days(session, query.pairs, plan, begin, query.end, query.provenance)
    for day, pair, found, change, prev_date, repeated in number_rows(days, query.pairs, {}, {}):
        if day >= query.start:
            yield RateRow(day, pair, found.rate, found.digits, change, found.source, prev_date,
                          found.digest, repeated)
