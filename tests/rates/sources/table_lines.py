"""Reading a parsed table in the source tests: its USD line, one line by code, the refused codes."""

from __future__ import annotations

from feedsvc.rates.sources.base import Observation, Table


def usd(table: Table) -> Observation:
    """The table's USD line (the one its X/USD rate is served from)."""
    return line(table, "USD")


def line(table: Table, code: str) -> Observation:
    """The table's only line of ``code``."""
    found = [obs for obs in table.observations if obs.currency == code]
    assert len(found) == 1, (code, found)
    return found[0]


def refused_codes(table: Table) -> list[str]:
    """The codes of the lines the parse refused."""
    return [refusal.currency for refusal in table.refused]
