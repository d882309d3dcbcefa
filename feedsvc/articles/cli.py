"""``feedsvc articles import|export``: NDJSON in the API's schema."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedsvc.articles import store
from feedsvc.articles.schemas import ArticleImportSchema, ArticleOutSchema
from feedsvc.articles.upsert import upsert_article
from feedsvc.db import new_session

EXPORT_BATCH = 200
# Output-only fields of an export: accepted on import and ignored (the id and url are ours).
IGNORED_ON_IMPORT = ("id", "url", "updated_at", "status")
# Without FEEDSVC_PUBLIC_URL, exported page URLs point at the default `feedsvc run` address.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

articles_group = click.Group("articles", help="Import and export articles as NDJSON.")


def export_lines(session: Session) -> Iterator[str]:
    """Every article as one JSON line in the API's output schema, newest first."""
    schema = ArticleOutSchema()
    page = 1
    while True:
        batch = store.list_articles(session, page=page, per_page=EXPORT_BATCH, scheduled=True)
        for article in batch.items:
            yield json.dumps(schema.dump(article), ensure_ascii=False)
        if page >= batch.pages:
            return
        page += 1


@articles_group.command("export")
@with_appcontext
def export_command() -> None:
    """Write every article to stdout as NDJSON (the API's schema), newest first."""
    base_url = current_app.config.get("PUBLIC_URL") or DEFAULT_BASE_URL
    with current_app.test_request_context(base_url=base_url), new_session() as session:
        for line in export_lines(session):
            click.echo(line)


def parse_line(raw: bytes) -> dict[str, Any]:
    """One NDJSON line validated by the API's input schema (plus ``uuid``)."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a BOM some editors write
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object")
    for key in IGNORED_ON_IMPORT:
        data.pop(key, None)
    return ArticleImportSchema().load(data)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def describe(error: ValidationError) -> str:
    """A one-line reason from a validation error."""
    messages = error.messages
    if isinstance(messages, dict):
        parts = []
        for field, value in messages.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{field}: {text}")
        reason = ", ".join(parts)
    else:
        reason = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return reason.encode("utf-8", "replace").decode("utf-8")  # lone surrogates can't be printed


def import_line(session: Session, raw: bytes) -> str:
    """Validate and write one line in its own transaction; return the outcome."""
    try:
        outcome = upsert_article(session, parse_line(raw))
        session.commit()
    except (ValidationError, IntegrityError):
        session.rollback()
        raise
    return outcome


@articles_group.command("import")
@click.argument("source", type=click.File("rb"))
@with_appcontext
def import_command(source: IO[bytes]) -> None:
    """Import NDJSON articles from SOURCE (a file, or - for stdin), idempotent by external_id."""
    counts: Counter[str] = Counter()
    with new_session() as session:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                counts[import_line(session, raw)] += 1
            except ValidationError as exc:
                counts["bad"] += 1
                click.echo(f"line {number}: {describe(exc)}", err=True)
            except IntegrityError:
                counts["bad"] += 1
                click.echo(f"line {number}: its uuid or external_id belongs to another article", err=True)
    click.echo(
        f"{counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['bad']} bad"
    )
    if counts["bad"]:
        raise SystemExit(1)
