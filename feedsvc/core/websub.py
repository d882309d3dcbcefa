"""WebSub publishing: after a write commits, tell the hub which feeds changed (W3C WebSub, section 7).

``bump_markers`` notes each changed scope on the session, and each flush the tags of the articles it
writes (before and after the write); when that session commits, every feed URL of those scopes (RSS,
Atom, JSON; the country's and the all-countries feed) and of those tags (``?tag=``, for each country of
the article and all) is queued, and a background thread POSTs ``hub.mode=publish&hub.url=<feed>`` for
each, retried with backoff. An article that goes live at its scheduled time is announced by a job
(``publish_articles``). A write never waits for
the hub and never fails because of it: a full queue or a hub that stays down only costs a log line.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Iterable

from flask import Flask
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from urllib3 import PoolManager, Retry, Timeout
from urllib3.exceptions import HTTPError

from feedsvc.core.countries import ALL, ARTICLES_SCOPE, country_scope, feed_slug_of_marker
from feedsvc.core.models import Article
from feedsvc.core.urls import FEED_TYPES

log = logging.getLogger(__name__)

SCOPES_KEY = "feedsvc.core.websub.scopes"  # in Session.info: the marker scopes bumped since the last commit
TAGS_KEY = "feedsvc.core.websub.tags"  # in Session.info: (feed slug, tag) of the tag feeds written since
EXTENSION = "feedsvc.core.websub"
EXIT_GRACE = 10.0  # seconds queued pings may delay the end of a process


def note_changed_scopes(session: Session, scopes: Iterable[str]) -> None:
    """Remember that ``scopes`` changed in this session's transaction (pinged once it commits)."""
    session.info.setdefault(SCOPES_KEY, set()).update(scopes)


class HubNotifier:
    """A bounded queue of feed URLs and one daemon thread that pings the hub for each."""

    def __init__(self, hub_url: str, retries: int, backoff: float, timeout: float,
                 max_queued: int = 1000) -> None:
        self.hub_url = hub_url
        retry = Retry(total=retries, backoff_factor=backoff, allowed_methods=None,
                      status_forcelist=(429, 500, 502, 503, 504), raise_on_status=False)
        self.pool = PoolManager(retries=retry, timeout=Timeout(connect=timeout, read=timeout),
                                headers={"User-Agent": "feedsvc-websub"})
        self.queue: queue.Queue[str | None] = queue.Queue(max_queued)
        self.pending: set[str] = set()  # queued and not yet sent: a URL is never queued twice
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def publish(self, urls: Iterable[str]) -> None:
        """Queue a ping for each URL not already waiting; never blocks."""
        with self.lock:
            for url in sorted(set(urls) - self.pending):
                try:
                    self.queue.put_nowait(url)
                except queue.Full:
                    log.warning("WebSub queue full: no ping for %s", url)
                    continue
                self.pending.add(url)
            if self.thread is None and self.pending:  # started on first use: importing does nothing
                self.thread = threading.Thread(target=self._run, name="websub", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while (url := self.queue.get()) is not None:
            with self.lock:
                self.pending.discard(url)  # a change from now on needs a new ping
            try:
                self.ping(url)
            except Exception:  # a bug must not stop the thread: later pings and wait() depend on it
                log.exception("WebSub ping for %s failed", url)
            finally:
                self.queue.task_done()
        self.queue.task_done()

    def ping(self, url: str) -> bool:
        """POST one publish notification; True when the hub accepted it (2xx)."""
        fields = {"hub.mode": "publish", "hub.url": url}
        try:
            response = self.pool.request("POST", self.hub_url, fields=fields, encode_multipart=False)
        except HTTPError as exc:
            log.warning("WebSub hub %s unreachable for %s: %s", self.hub_url, url, exc)
            return False
        if not 200 <= response.status < 300:
            log.warning("WebSub hub %s answered %s for %s", self.hub_url, response.status, url)
            return False
        return True

    def wait(self) -> None:
        """Block until every queued ping has been sent or given up (for tests and shutdown)."""
        self.queue.join()

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued, then stop the thread; give up after ``timeout`` seconds (None: never)."""
        with self.lock:
            thread, self.thread = self.thread, None
        if thread is not None:
            try:
                self.queue.put(None, timeout=timeout)
            except queue.Full:
                return  # a daemon thread: it dies with the process
            thread.join(timeout)
        self.pool.clear()


def topic_urls(app: Flask, scopes: Iterable[str], tag_feeds: Iterable[tuple[str, str]] = ()) -> set[str]:
    """The public URL of every feed whose content the marker ``scopes`` and the (slug, tag) pairs version."""
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT") or "/")
    public = app.config["PUBLIC_URL"]
    feeds = [{"country": slug} for slug in filter(None, map(feed_slug_of_marker, scopes))]
    feeds += [{"country": slug, "tag": tag} for slug, tag in tag_feeds]
    return {public + adapter.build("feeds.get_feed", {**feed, "fmt": fmt})
            for feed in feeds for fmt in FEED_TYPES}


def article_tag_feeds(article: Article) -> set[tuple[str, str]]:
    """(feed slug, tag) of each tag feed ``article`` is in, or was in before its unflushed changes."""
    state = inspect(article)
    tags = {tag.slug for tag in _before_and_after(state.attrs.tags.history)}
    slugs = {country.slug for country in _before_and_after(state.attrs.countries.history)} | {ALL}
    return {(slug, tag) for slug in slugs for tag in tags}


def _before_and_after(history: object) -> list[object]:
    added, unchanged, deleted = history  # type: ignore[misc]
    return [*(added or ()), *(unchanged or ()), *(deleted or ())]


def publish_articles(app: Flask, articles: Iterable[Article]) -> None:
    """Ping the hub for every feed ``articles`` are in (for articles that went live without a write)."""
    notifier = app.extensions.get(EXTENSION)
    articles = list(articles)
    if notifier is None or not articles:
        return
    scopes = {country_scope(country.slug) for article in articles for country in article.countries}
    tag_feeds = set().union(*(article_tag_feeds(article) for article in articles))
    notifier.publish(topic_urls(app, {ARTICLES_SCOPE, *scopes}, tag_feeds))


def init_app(app: Flask) -> None:
    """With FEEDSVC_WEBSUB_HUB set, ping the hub after every commit that changed articles."""
    hub = app.config.get("WEBSUB_HUB")
    if not hub:
        return
    notifier = HubNotifier(hub, app.config["WEBSUB_RETRIES"], app.config["WEBSUB_BACKOFF"],
                           app.config["WEBSUB_TIMEOUT"])
    app.extensions[EXTENSION] = notifier
    # A CLI import exits right after its last commit: its pings get a few seconds to leave first.
    atexit.register(notifier.close, EXIT_GRACE)
    sessions = app.extensions["feedsvc.sessions"]

    @event.listens_for(sessions, "before_flush")
    def _note_tags(session: Session, _context: object, _instances: object) -> None:
        written = (obj for group in (session.new, session.dirty, session.deleted) for obj in group)
        for article in written:
            if isinstance(article, Article):
                session.info.setdefault(TAGS_KEY, set()).update(article_tag_feeds(article))

    @event.listens_for(sessions, "after_commit")
    def _publish(session: Session) -> None:
        scopes, tag_feeds = session.info.pop(SCOPES_KEY, None), session.info.pop(TAGS_KEY, set())
        if scopes:
            notifier.publish(topic_urls(app, scopes, tag_feeds))

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        for key in (SCOPES_KEY, TAGS_KEY):
            session.info.pop(key, None)  # nothing was written: nothing to announce
