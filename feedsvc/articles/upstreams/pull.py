"""What a sync asks an upstream: WordPress's posts page by page and the sweep of their ids, or a feed.

WordPress posts are read in ``modified`` order with a moving ``modified_after`` cursor rather than page
numbers: a post edited while the sync pages through moves past the cursor and is read later, instead of
shifting the pages under the reader and making it miss another. Posts saved in one second fill more than
a page only in bulk edits; then the next page number of the same cursor is read. A site that ignores
``modified_after`` (before WordPress 5.7) is detected by the old posts it answers with, and read by page
numbers from then on.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feedsvc.articles.store import delete_article
from feedsvc.articles.upstreams.entries import Entry, Refused
from feedsvc.articles.upstreams.feed import ParsedFeed, parse_feed
from feedsvc.articles.upstreams.sync import Run
from feedsvc.articles.upstreams.websub import keep_subscribed
from feedsvc.articles.upstreams.wordpress import (
    PER_PAGE,
    UpstreamError,
    ids_url,
    parse_ids,
    parse_json_list,
    parse_post,
    posts_url,
    since_watermark,
    total_pages,
)
from feedsvc.core.jobs import utcnow
from feedsvc.core.models import Article, UpstreamItem

# A sweep that finds every one of more posts than this gone is refused: a site that answers an empty list
# to everything (a broken cache or firewall) must not empty the store.
SWEEP_GUARD = 10


def pull(run: Run) -> None:
    """Read the upstream: a WordPress site's changed posts (and the sweep when due), or a feed."""
    if run.upstream.kind == "wordpress":
        first = run.upstream.swept_at is None
        pull_wordpress(run)
        interval = timedelta(seconds=run.config["UPSTREAM_SWEEP_SECONDS"])
        if run.full or (not first and utcnow() - run.upstream.swept_at >= interval):
            sweep_wordpress(run)
        elif first:  # everything was just read: the first sweep is due one interval from now
            run.upstream.swept_at = utcnow()
            run.commit()
    else:
        pull_feed(run)


def pull_wordpress(run: Run) -> None:
    """Read every post modified since the watermark, a page at a time, each page committed."""
    upstream = run.upstream
    keyset = run.full or upstream.modified_after is not False
    cursor = None if run.full or not keyset else since_watermark(upstream.watermark)
    page, pages = 1, 0
    while True:
        answer = run.get(posts_url(upstream.url, page, cursor))
        posts = parse_json_list(answer.body, answer.headers.get("Content-Type", ""))
        entries = [e for e in _parse_posts(run, posts) if (e.remote_id, e.modified) not in run.seen]
        run.seen.update((e.remote_id, e.modified) for e in entries)
        keys = [entry.order_key for entry in entries if entry.order_key]
        if cursor and any(key <= cursor for key in keys):
            upstream.modified_after, keyset = False, False  # it answered posts older than asked for
        elif cursor and keys:
            upstream.modified_after = True
        run.write(entries)
        if keys:
            upstream.watermark = max(upstream.watermark or "", *keys)
        run.commit()
        pages += 1
        total = total_pages(answer.headers)
        if len(posts) < PER_PAGE or (not keyset and total is not None and page >= total):
            return
        if pages >= run.config["UPSTREAM_MAX_PAGES"]:
            run.notes.append(f"stopped after {pages} pages (FEEDSVC_UPSTREAM_MAX_PAGES); "
                             "the next run goes on")
            return
        following = since_watermark(max(keys)) if keyset and keys else None
        if following and following != cursor:
            cursor, page = following, 1
        else:  # no cursor to move (a full page saved in one second, or no modified_after): next page
            page += 1


def _parse_posts(run: Run, posts: list) -> list[Entry]:
    entries = []
    for post in posts:
        try:
            entries.append(parse_post(post))
        except Refused as exc:
            run.pending.fetched += 1
            run.pending.refuse(str(exc))
    return entries


def sweep_wordpress(run: Run) -> None:
    """Delete here (410, tombstone) every stored post the site no longer publishes (trashed, unpublished).

    Every id is asked first, 100 per request; only then are the gone ones deleted, a batch per
    transaction, so a failed request deletes nothing.
    """
    upstream = run.upstream
    known = sorted(int(remote) for remote in run.session.scalars(
        select(UpstreamItem.remote_id).where(UpstreamItem.upstream_id == upstream.id)) if remote.isdigit())
    gone: list[int] = []
    for start in range(0, len(known), PER_PAGE):
        batch = known[start:start + PER_PAGE]
        answer = run.get(ids_url(upstream.url, batch))
        present = parse_ids(answer.body, answer.headers.get("Content-Type", ""))
        gone.extend(number for number in batch if number not in present)
    if len(known) > SWEEP_GUARD and len(gone) == len(known):
        raise UpstreamError(f"every one of the {len(known)} posts is gone upstream: refusing to delete them "
                            "all (check the site; `feedsvc upstreams remove` forgets an upstream)")
    for start in range(0, len(gone), PER_PAGE):
        _delete_gone(run, [str(number) for number in gone[start:start + PER_PAGE]])
    upstream.swept_at = utcnow()
    run.commit()


def _delete_gone(run: Run, remote_ids: list[str]) -> None:
    items = run.session.scalars(select(UpstreamItem).where(UpstreamItem.upstream_id == run.upstream.id,
                                                           UpstreamItem.remote_id.in_(remote_ids)))
    now = utcnow()
    for item in list(items):
        article = run.session.get(Article, item.article_id)
        run.session.delete(item)
        if article is not None:
            delete_article(run.session, article, now=now)
            run.pending.deleted += 1
    run.commit()


def pull_feed(run: Run) -> None:
    """Fetch the feed with its validators (a 304 writes nothing), write its entries, keep its hub."""
    upstream = run.upstream
    headers = {} if run.full else {name: value for name, value in (
        ("If-None-Match", upstream.etag), ("If-Modified-Since", upstream.last_modified)) if value}
    answer = run.get(upstream.url, headers)
    if answer.status == 304:
        keep_subscribed(run, None)
        return
    parsed = parse_feed(answer.body, answer.headers.get("Content-Type", ""))
    apply_feed(run, parsed)
    upstream.etag = (answer.headers.get("ETag") or "")[:512] or None
    upstream.last_modified = (answer.headers.get("Last-Modified") or "")[:64] or None
    run.commit()
    keep_subscribed(run, parsed)


def apply_feed(run: Run, parsed: ParsedFeed) -> None:
    """Write a parsed feed's entries, counting the ones it refused (not committed)."""
    for reason in parsed.refused:
        run.pending.fetched += 1
        run.pending.refuse(reason)
    run.write(parsed.entries)
