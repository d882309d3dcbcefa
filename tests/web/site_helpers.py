"""The demo site for browser tests: its images held back on demand, its recent rates stored quickly."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.models import RateObservation
from feedsvc.rates.demo import CURRENCY_API_CSV
from feedsvc.rates.served import recompute_all

RATE_DAYS = 40  # the newest days of the demo's currency-api history: enough for the ticker, chart and table
IMAGE_HOLD = 10  # seconds at most, so that a test gone wrong cannot hang


class HeldImages:
    """The WSGI app with the demo images answered at once, or after ``hold()`` only once ``release()`` is
    called."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.released = threading.Event()
        self.released.set()  # pages other tests load must not wait for images nobody will release

    def hold(self) -> None:
        """Hold the images of the next page."""
        self.released.clear()

    def release(self) -> None:
        """Let the held images go."""
        self.released.set()

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204 - the WSGI signature
        if environ.get("PATH_INFO", "").startswith("/assets/demo/"):
            self.released.wait(IMAGE_HOLD)
        return self.app(environ, start_response)


def store_recent_demo_rates(session: Session, priority: Sequence[str]) -> None:
    """The newest RATE_DAYS rows of the demo's currency-api history, stored and served as ingest does.

    Written directly: the full demo load runs every value through the guards, ten seconds per database.
    """
    with CURRENCY_API_CSV.open(newline="") as file:
        rows = list(csv.DictReader(file))[-RATE_DAYS:]
    now = datetime.now(UTC)
    session.add_all(RateObservation(source="currency-api", date=date.fromisoformat(row["date"]),
                                    currency="USD", quote=currency, value=Decimal(value), fetched_at=now)
                    for row in rows for currency, value in row.items() if currency != "date")
    recompute_all(session, priority)
    bump_markers(session, ["rates"], now)
