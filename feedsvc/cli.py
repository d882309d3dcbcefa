"""The ``feedsvc`` command group: run, db, demo, token, articles, upstreams, rates, scheduler."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy.exc import IntegrityError

from feedsvc.articles.cli import articles_group
from feedsvc.articles.upstreams.cli import upstreams_group
from feedsvc.core import auth
from feedsvc.core.backup import BackupError, backup_database, restore_database
from feedsvc.core.countries import ALL_NAME
from feedsvc.core.db import (
    DRIVER_OUTAGES,
    describe_outage,
    get_engine,
    new_session,
    outage_kind,
    upgrade_database,
)
from feedsvc.core.stop import raise_on_sigterm
from feedsvc.core.urls import DEFAULT_HOST, DEFAULT_PORT
from feedsvc.rates.cli import rates_group
from feedsvc.scheduler import scheduler_command

TOKEN_NAME = re.compile(r"[A-Za-z0-9._@-]{1,100}")


def _upgrade_database() -> None:
    """Migrate and seed, then recompute the served rates if FEEDSVC_RATES_SOURCES changed since, and the
    pairs' stored lines of days a stopped job left waiting."""
    from feedsvc.rates.served import ensure_served, refresh_pending

    upgrade_database(get_engine(), current_app.config["COUNTRIES"])
    priority = tuple(current_app.config["RATES_SOURCES"])
    with new_session() as session, session.begin():
        ensure_served(session, priority, datetime.now(UTC))
        refresh_pending(session, priority)


@click.command("run")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve on HOST:PORT with the rate scheduler in-process (unless FEEDSVC_SCHEDULER=off)."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _upgrade_database()
    scheduler = None
    raise_on_sigterm()  # like Ctrl-C: a running rate job closes its run as interrupted
    if app.config["SCHEDULER"]:
        from feedsvc.scheduler import log_to_stderr, start_background_scheduler

        log_to_stderr()
        scheduler = start_background_scheduler(app)  # its catch-up updates stale sources at once
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            from feedsvc.scheduler import stop_scheduler

            stop_scheduler(scheduler)


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create the schema or migrate it to the newest revision (safe to run twice)."""
    _upgrade_database()
    click.echo("database is up to date")


@db_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def db_backup(path: Path) -> None:
    """Write a consistent copy of the database to PATH, a new file, while the service runs.

    SQLite: the online backup API (one file, WAL included). PostgreSQL: pg_dump --format=custom.
    """
    try:
        click.echo(backup_database(get_engine(), path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@db_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds tables (everything in it is lost).")
@with_appcontext
def db_restore(path: Path, force: bool) -> None:
    """Load the backup at PATH into the configured database, which must be empty (or --force).

    Stop the service first. PostgreSQL: pg_restore in one transaction.
    """
    try:
        click.echo(restore_database(get_engine(), path, force))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo articles and rate history (idempotent)."""
    from feedsvc.articles.demo import load_demo_articles
    from feedsvc.rates.demo import describe_demo_rates, load_demo_rates

    _upgrade_database()
    with new_session() as session:
        added = load_demo_articles(session)
        rates = load_demo_rates(session)
        session.commit()
    click.echo(f"demo data loaded: {added} new articles, {rates} new rate observations")
    click.echo(f"demo rates: {describe_demo_rates()}")


@click.group("token")
def token_group() -> None:
    """API tokens for the write endpoints."""


@token_group.command("create")
@click.argument("name")
@with_appcontext
def token_create(name: str) -> None:
    """Create a token called NAME and print it once (only its hash is kept)."""
    if not TOKEN_NAME.fullmatch(name):
        raise click.BadParameter("use 1 to 100 letters, digits, and . _ @ -", param_hint="NAME")
    with new_session() as session:
        secret = auth.create_token(session, name)
        try:
            session.commit()
        except IntegrityError:
            raise click.ClickException(f"a token called {name!r} exists; revoke it first") from None
    click.echo(secret)


@token_group.command("list")
@with_appcontext
def token_list() -> None:
    """List token names with their creation and last-use times."""
    with new_session() as session:
        for token in auth.list_tokens(session):
            used = token.last_used_at.isoformat() if token.last_used_at else "never"
            click.echo(f"{token.name}\tcreated {token.created_at.isoformat()}\tlast used {used}")


@token_group.command("revoke")
@click.argument("name")
@with_appcontext
def token_revoke(name: str) -> None:
    """Revoke the token called NAME."""
    with new_session() as session:
        if not auth.revoke_token(session, name):
            raise click.ClickException(f"no token called {name!r}")
        session.commit()
    click.echo(f"revoked {name}")


def our_commands() -> tuple[click.Command, ...]:
    """Every feedsvc command: ours here, the domains' groups, the scheduler."""
    return (run_command, db_group, demo_command, token_group, articles_group, upstreams_group,
            rates_group, scheduler_command)


def init_app(app: Flask) -> None:
    """Attach every command to the app's own group too (``flask --app wsgi ...``, the test runner)."""
    for command in our_commands():
        app.cli.add_command(command)


def _create_app() -> Flask:
    from config import ConfigError
    from feedsvc import create_app

    try:
        return create_app()
    except ConfigError as exc:  # a setting is wrong: say which, without a traceback
        raise click.ClickException(f"configuration: {exc}") from None


class FeedsvcGroup(click.Group):
    """Our commands only (no Flask options, no plugin groups); a database outage ends a command in one line.

    Flask's own group would also list every installed extension's commands (flask-limiter's ``limiter``,
    flask-smorest's ``openapi``) and build the app just to show the help; the ``flask`` command keeps
    them for developers.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        """A context whose commands build the app from FEEDSVC_* on first use (``with_appcontext``)."""
        extra.setdefault("obj", ScriptInfo(create_app=_create_app, set_debug_flag=False,
                                           load_dotenv_defaults=False))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; turn a database outage into a one-line error (exit 1), and let bugs raise."""
        try:
            return super().invoke(ctx)
        except DRIVER_OUTAGES as exc:
            kind = outage_kind(exc)
            if kind is None:
                raise
            raise click.ClickException(describe_outage(kind, exc)) from None


main = FeedsvcGroup(
    name="feedsvc",
    help=f"feedsvc: {ALL_NAME} news feeds, exchange rates and embeds.",
    commands=our_commands(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
click.version_option(package_name="feedsvc", prog_name="feedsvc")(main)
