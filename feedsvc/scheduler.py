"""APScheduler wiring: the jobs call feedsvc.rates.jobs only."""

from __future__ import annotations

import click
from flask import Flask


def start_background_scheduler(app: Flask) -> object | None:
    """Start the in-process scheduler for ``feedsvc run``."""
    return None


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the rate jobs on their schedule, in the foreground."""
