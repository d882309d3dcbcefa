"""No source ever writes another currency: every parse over every recorded payload it could be pointed at."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from feedsvc.rates.sources import NoData, SourceError, all_source_classes
from feedsvc.rates.sources.nbkr import NBKR

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"
FILES = sorted(path for path in UPSTREAM.rglob("*") if path.is_file())
# Every day some recorded file is dated, so each parse also meets its own file on the right day.
DAYS = [date(2005, 6, d) for d in (4, 11, 18, 25)] + [
    date(2025, 5, 1), date(2025, 5, 5), *(date(2025, 12, d) for d in range(24, 29)),
    date(2026, 4, 1), date(2026, 5, 18), date(2026, 5, 20), date(2026, 5, 24),
]


@pytest.mark.parametrize("name", sorted(all_source_classes()))
def test_parse_yields_only_the_sources_own_currencies(name: str) -> None:
    source = all_source_classes()[name]("")
    parsed = 0
    for path in FILES:
        payload = path.read_bytes()
        for day in DAYS:
            try:
                observations = source.parse(payload, day)
            except (NoData, SourceError):
                continue
            parsed += 1
            foreign = {obs.currency for obs in observations} - set(source.currencies)
            assert not foreign, (name, path.name, day, foreign)
    assert parsed  # each source read at least its own file


def test_nbkr_history_parse_yields_only_kgs() -> None:
    source = NBKR("")
    read = 0
    for path in FILES:
        try:
            observations = source.parse_range(path.read_bytes())
        except SourceError:
            continue
        read += 1
        assert {obs.currency for obs in observations} == {"KGS"}, path.name
    assert read == 1
