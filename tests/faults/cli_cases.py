"""The CLI commands the outage tests run, each on a database prepared so that it has to write."""

from __future__ import annotations

import json
from pathlib import Path

from dbfaults import fill_initial_schema, migrate, run_cli

# Days of the pegged TMT rate: computed locally, no upstream needed, and each day writes rows.
BACKFILL = ("rates", "backfill", "--source", "peg", "--from", "2024-07-01", "--to", "2024-12-31")
UPDATE = ("rates", "update", "--source", "peg", "--date", "2025-03-01")
COMMANDS = ("db upgrade", "articles import", "rates backfill", "rates update")


def write_articles(path: Path, count: int = 200) -> Path:
    """An NDJSON file of ``count`` new articles (a few KB each) in the API's schema."""
    with path.open("w") as out:
        for number in range(count):
            out.write(json.dumps({
                "title": f"Water talks, day {number}", "summary": "Ministers met. " * 10,
                "content_html": "<p>" + "The talks went on. " * 100 + "</p>",
                "countries": ["kazakhstan"], "published_at": "2025-05-01T08:00:00Z",
                "external_id": f"import-{number}"}) + "\n")
    return path


def prepare(command: str, url: str, directory: Path) -> tuple[str, ...]:
    """Fill the database at ``url`` so that ``command`` has work to write; the command's arguments.

    ``db upgrade`` finds the first release's schema with its data; the others a migrated database.
    """
    migrate(url, "0001")
    fill_initial_schema(url, days=120, articles=60)
    if command == "db upgrade":
        return ("db", "upgrade")
    upgraded = run_cli(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    if command == "articles import":
        return ("articles", "import", str(write_articles(directory / "articles.ndjson")))
    return BACKFILL if command == "rates backfill" else UPDATE
