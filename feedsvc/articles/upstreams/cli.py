"""``feedsvc upstreams add|list|remove|sync``: the desk's CMS and other feeds, kept in the article store."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from feedsvc.articles.upstreams.registry import (
    UpstreamInputError,
    add_upstream,
    count_items,
    describe_rules,
    get_upstream,
    list_upstreams,
    parse_new_upstream,
    remove_upstream,
)
from feedsvc.articles.upstreams.runs import COUNTED, last_successes, latest_runs
from feedsvc.articles.upstreams.sync import SyncSummary, UnknownUpstream, sync
from feedsvc.core.db import new_session
from feedsvc.core.jobs import utcnow
from feedsvc.core.models import Upstream, UpstreamItem, UpstreamRun

EX_TEMPFAIL = 75  # another process holds the upstream: try again later


@click.group("upstreams")
def upstreams_group() -> None:
    """WordPress sites and feeds kept in the article store, on the schedule."""


@upstreams_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["wordpress", "feed"]), required=True,
              help="a WordPress site (its root URL) or an RSS, Atom or JSON Feed (its URL)")
@click.option("--country", "countries", multiple=True, metavar="SLUG",
              help="the country of a post no --map rule places (repeatable)")
@click.option("--map", "rules", multiple=True, metavar="category:SLUG=COUNTRY",
              help="a category or tag slug that places a post in a country (repeatable)")
@click.option("--every", default="15m", show_default=True, help="how often to sync: 90s, 15m, 1h, 1d")
@click.option("--language", default="en", show_default=True, help="the posts' language (BCP 47)")
@with_appcontext
def add_command(name: str, url: str, kind: str, countries: tuple[str, ...], rules: tuple[str, ...],
                every: str, language: str) -> None:
    """Add the upstream NAME at URL; the scheduler syncs it from its next minute."""
    try:
        new = parse_new_upstream(name, url, kind, countries, rules, every, language)
        with new_session() as session:
            add_upstream(session, new, utcnow())
            session.commit()
    except UpstreamInputError as exc:
        raise click.UsageError(str(exc)) from None
    if not new.rules and not new.countries:
        click.echo("note: no --map rule and no --country: every post will be skipped", err=True)
    click.echo(f"added {new.name} ({new.kind}, every {_period(new.every_seconds)}): {new.url}")


@upstreams_group.command("list")
@click.option("--verbose", "-v", is_flag=True, help="also the sync state and what cleaning removed")
@with_appcontext
def list_command(verbose: bool) -> None:
    """Each upstream with its last sync, its counts and its last error."""
    with new_session() as session:
        upstreams = list_upstreams(session)
        latest, successes = latest_runs(session), last_successes(session)
        for upstream in upstreams:
            click.echo(f"{upstream.name}\t{upstream.kind}\t{upstream.url}\tevery "
                       f"{_period(upstream.every_seconds)}\t{describe_rules(upstream)}")
            run = latest.get(upstream.id)
            click.echo(f"  last run: {_describe_run(run)}")
            success = successes.get(upstream.id)
            click.echo(f"  last success: {_time(success) if success else 'never'}; "
                       f"{count_items(session, upstream.id)} articles")
            failed = _last_error(session, upstream.id)
            if failed is not None:
                click.echo(f"  last error ({_time(failed.started_at)}, {failed.outcome}): {failed.error}")
            if upstream.websub_note:
                click.echo(f"  websub: {upstream.websub_state or 'none'}: {upstream.websub_note}")
            if verbose:
                _echo_details(session, upstream)
    if not upstreams:
        click.echo("no upstreams; add one with `feedsvc upstreams add NAME URL --kind wordpress|feed`")


@upstreams_group.command("remove")
@click.argument("name")
@with_appcontext
def remove_command(name: str) -> None:
    """Forget the upstream NAME and its runs; the articles it brought stay in the store."""
    with new_session() as session:
        upstream = get_upstream(session, name)
        if upstream is None:
            raise click.ClickException(f"no upstream called {name!r}")
        kept = remove_upstream(session, upstream)
        session.commit()
    click.echo(f"removed {name}; its {kept} articles stay in the store")


@upstreams_group.command("sync")
@click.argument("name")
@click.option("--full", is_flag=True, help="every post again, compared; and the sweep")
@with_appcontext
def sync_command(name: str, full: bool) -> None:
    """Sync NAME now. Exit 0: ok; 1: failed or some posts refused; 75: another process is syncing it."""
    try:
        summary = sync(name, full=full)
    except UnknownUpstream as exc:
        raise click.ClickException(str(exc)) from None
    if summary.outcome == "skipped":
        click.echo(f"{name}: skipped, {summary.holder} is syncing it", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{name}: {_describe_summary(summary)}")
    if summary.error:
        click.echo(f"{name}: {summary.error}", err=True)
    if summary.outcome != "ok":
        sys.exit(1)


def _describe_summary(summary: SyncSummary) -> str:
    counts = ", ".join(f"{getattr(summary.counts, name)} {name}" for name in COUNTED)
    return f"{summary.outcome} ({counts}; {summary.requests} requests)"


def _describe_run(run: UpstreamRun | None) -> str:
    if run is None:
        return "never"
    counts = ", ".join(f"{getattr(run, name)} {name}" for name in COUNTED)
    return f"{_time(run.started_at)} {run.job}: {run.outcome} ({counts}; {run.requests} requests)"


def _last_error(session, upstream_id: int) -> UpstreamRun | None:
    return session.scalar(select(UpstreamRun).where(UpstreamRun.upstream_id == upstream_id,
                                                    UpstreamRun.error.is_not(None))
                          .order_by(UpstreamRun.id.desc()).limit(1))


def _echo_details(session, upstream: Upstream) -> None:
    support = {True: "used", False: "not supported: every post is read", None: "not tried yet"}
    if upstream.kind == "wordpress":
        click.echo(f"  watermark: {upstream.watermark or 'none'}; modified_after "
                   f"{support[upstream.modified_after]}; last sweep "
                   f"{_time(upstream.swept_at) if upstream.swept_at else 'never'}")
    else:
        click.echo(f"  validators: ETag {upstream.etag or 'none'}, "
                   f"Last-Modified {upstream.last_modified or 'none'}")
    removed = session.execute(
        select(UpstreamItem.article_id, UpstreamItem.remote_id, UpstreamItem.removed)
        .where(UpstreamItem.upstream_id == upstream.id, UpstreamItem.removed.is_not(None))
        .order_by(UpstreamItem.article_id))
    for article_id, remote_id, what in removed:
        click.echo(f"  article {article_id} ({remote_id[:80]}): removed {what}")


def _period(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _time(value) -> str:
    return value.isoformat().replace("+00:00", "Z")
