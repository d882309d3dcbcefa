"""rate_line_spans, kept by every upsert, is what grouping every stored line gives, whatever the writes:
new lines in any date order, re-sent tables, and corrections that move a day from one nominal to another."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateLineSpan, RateObservation
from feedsvc.rates.ingest.store import store_observations
from feedsvc.rates.sources.base import Observation

NOW = datetime(2026, 5, 26, tzinfo=UTC)
FIRST = date(2026, 5, 1)

# One write: (source, day offset, [(currency, nominal)]) of a table in KZT; a value per nominal keeps the
# guards quiet (the same value per unit whatever the nominal).
lines = st.lists(st.tuples(st.sampled_from(["UZS", "RUB", "EUR"]), st.sampled_from([1, 10, 100])),
                 min_size=1, max_size=3, unique_by=lambda line: line[0])
writes = st.lists(st.tuples(st.sampled_from(["nbk", "cbt"]), st.integers(0, 9), lines),
                  min_size=1, max_size=12)


def grouped(session: Session) -> set[tuple]:
    obs = RateObservation
    return {tuple(row) for row in session.execute(
        select(obs.source, obs.currency, obs.quote, obs.nominal, func.min(obs.date), func.max(obs.date),
               func.count()).group_by(obs.source, obs.currency, obs.quote, obs.nominal))}


def spans(session: Session) -> set[tuple]:
    span = RateLineSpan
    return {tuple(row) for row in session.execute(select(span.source, span.currency, span.quote, span.nominal,
                                                          span.first_date, span.last_date, span.days))}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=writes)
def test_the_spans_are_the_grouped_lines_after_any_writes(app: Flask, sequence: list) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        for table in (RateLineSpan, RateObservation, RateAnomaly):
            session.execute(delete(table))
        session.commit()
        for source, offset, lines in sequence:
            day = FIRST + timedelta(days=offset)
            table = [Observation(day, currency, "KZT", Decimal(nominal) * Decimal("4.5"), nominal=nominal)
                     for currency, nominal in lines]
            store_observations(session, source, day, table, NOW, priority=("nbk", "cbt"))
            session.commit()
            assert spans(session) == grouped(session)
