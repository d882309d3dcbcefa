"""``feedsvc articles import|export``: NDJSON in the API's schema.

An import writes ``--batch-size`` lines per transaction (feedsvc/articles/upsert.py) and parses and cleans
the lines of later batches in worker processes meanwhile (feedsvc/articles/lines.py).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedsvc.articles.lines import Prepared, describe, parse_line, prepared_batches, read_batches
from feedsvc.articles.listing import list_articles
from feedsvc.articles.schemas import ArticleImportSchema, ArticleOutSchema
from feedsvc.articles.upsert import CONFLICT, country_index, upsert_article, write_batch
from feedsvc.core.countries import tracked
from feedsvc.core.db import new_session
from feedsvc.core.urls import root_url

EXPORT_BATCH = 200
# Lines per import transaction: larger batches gained little on SQLite (bench/import.py).
BATCH_SIZE = 1000
OUTCOMES = ("created", "updated", "unchanged")

articles_group = click.Group("articles", help="Import and export articles as NDJSON.")


def export_lines(session: Session) -> Iterator[str]:
    """Every article as one JSON line in the API's output schema, newest first."""
    schema = ArticleOutSchema()
    after = None
    while True:  # by cursor: each batch is a seek, however deep in the archive
        batch = list_articles(session, per_page=EXPORT_BATCH, scheduled=True, after=after)
        for article in batch.items:
            yield json.dumps(schema.dump(article), ensure_ascii=False)
        if batch.next is None:
            return
        after = batch.next


@articles_group.command("export")
@with_appcontext
def export_command() -> None:
    """Write every article to stdout as NDJSON (the API's schema), newest first."""
    # Page URLs are built in a request on the site's root (without FEEDSVC_PUBLIC_URL, `feedsvc run`'s).
    with current_app.test_request_context(base_url=root_url()), new_session() as session:
        for line in export_lines(session):
            click.echo(line)


def import_line(session: Session, raw: bytes, schema: ArticleImportSchema | None = None) -> str:
    """Validate and write one line in its own transaction; return the outcome."""
    try:
        outcome = upsert_article(session, parse_line(raw, schema))
        session.commit()
    except (ValidationError, IntegrityError):
        session.rollback()
        raise
    return outcome


def import_batch(session: Session, prepared: Prepared) -> list[tuple[int, str]]:
    """Write a prepared batch in one transaction; each line's outcome or reason, in line order."""
    outcomes = dict(prepared.errors)
    try:
        outcomes.update(write_batch(session, prepared.lines, prepared.now))
        session.commit()
    except (ValidationError, IntegrityError):
        # A conflict the bulk look-ups could not foresee (a concurrent writer): redo the batch line by
        # line, so that every good line still lands and the bad one is named.
        session.rollback()
        raws = dict(prepared.batch)
        outcomes.update(import_one_by_one(session, [(ln.number, raws[ln.number]) for ln in prepared.lines]))
    session.expunge_all()  # matched articles are not needed again: memory stays flat over a long file
    return sorted(outcomes.items())


def import_one_by_one(session: Session, lines: list[tuple[int, bytes]]) -> dict[int, str]:
    """Import lines one transaction each; the outcome (or reason) per line number."""
    schema = ArticleImportSchema()
    outcomes = {}
    for number, raw in lines:
        try:
            outcomes[number] = import_line(session, raw, schema)
        except ValidationError as exc:
            outcomes[number] = describe(exc)
        except IntegrityError:
            outcomes[number] = CONFLICT
    return outcomes


@articles_group.command("import")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=BATCH_SIZE, show_default=True,
              help="Lines per transaction; an interrupted import resumes after its last whole batch.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes that parse and clean lines  [default: the CPUs available]")
@click.argument("source", type=click.File("rb"))
@with_appcontext
def import_command(source: IO[bytes], batch_size: int, jobs: int | None) -> None:
    """Import NDJSON articles from SOURCE (a file, or - for stdin), idempotent by external_id or uuid."""
    counts: Counter[str] = Counter()
    jobs = jobs or len(os.sched_getaffinity(0))
    with new_session() as session:
        countries = country_index(session)
        session.rollback()  # no transaction stays open while the first batch is parsed
        batches = prepared_batches(read_batches(source, batch_size), tracked(), countries, jobs)
        for prepared in batches:
            for number, outcome in import_batch(session, prepared):
                if outcome in OUTCOMES:
                    counts[outcome] += 1
                else:
                    counts["bad"] += 1
                    click.echo(f"line {number}: {outcome}", err=True)
    click.echo(
        f"{counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['bad']} bad"
    )
    if counts["bad"]:
        raise SystemExit(1)
