"""``feedsvc rates verify``: parse every kept payload again and list every stored value that differs."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

from feedsvc.core.db import new_session
from feedsvc.rates.ingest import jobs
from feedsvc.rates.ingest.verify import fetches_to_verify, unarchived_count, verify_fetch
from feedsvc.rates.sources import all_source_classes


@click.command("verify")
@click.option("--source", type=click.Choice(sorted(all_source_classes())), help="Only this source.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day.")
@with_appcontext
def verify_command(source: str | None, first: object, last: object) -> None:
    """Parse every kept payload with today's parser; list each stored value it does not say (exit 1)."""
    start = first.date() if first is not None else None  # type: ignore[attr-defined]
    end = last.date() if last is not None else None  # type: ignore[attr-defined]
    if start is not None and end is not None and start > end:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    differences = _verify(source, start, end)
    for difference in differences:
        click.echo(difference.describe())
    if differences:
        raise SystemExit(1)


def _verify(source: str | None, start: date | None, end: date | None) -> list:
    """Every difference, under a progress bar of payloads; a summary line on stderr."""
    differences = []
    with new_session() as session:
        fetches = fetches_to_verify(session, source, start, end)
        parsers = {name: jobs.get_source(name) for name in {fetch.source for fetch in fetches}}
        with click.progressbar(fetches, label="payloads", show_pos=True, file=sys.stderr) as bar:
            for fetch in bar:
                differences += verify_fetch(session, fetch, parsers[fetch.source])
        missing = unarchived_count(session, source)
    click.echo(f"{len(fetches)} payloads parsed again: {len(differences)} stored values differ"
               + (f"; {missing} values were stored before payloads were kept" if missing else ""), err=True)
    return differences
