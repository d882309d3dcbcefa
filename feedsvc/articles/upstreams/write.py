"""One page of an upstream's entries written to the store, through the import's idempotent batch upsert.

A page is one transaction (the caller commits it with the run's counts): a sync killed between pages
leaves whole pages, never half of one. An entry whose upstream change marker is the one stored is
skipped without cleaning or comparing; the rest go through ``write_batch``, which updates an article only
when a cleaned field differs and bumps each feed's change marker once per page, so syncing again writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.articles.clean import ALLOWED_TAGS
from feedsvc.articles.embeds import embed_hosts, removed_elements
from feedsvc.articles.lines import describe
from feedsvc.articles.upsert import CONFLICT, PreparedLine, country_index, prepare_line, write_batch
from feedsvc.articles.upstreams.entries import Entry, Refused, article_data, countries_for, external_id
from feedsvc.articles.upstreams.registry import default_countries, rules_of
from feedsvc.core.models import Article, Upstream, UpstreamItem


@dataclass
class Counts:
    """What a page (or a run) did: posts fetched, created, updated, unchanged, skipped, refused."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # mapped to no tracked country
    rejected: int = 0  # refused, each with its reason
    reasons: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        """Add another page's counts to these."""
        for name in ("fetched", "created", "updated", "unchanged", "deleted", "skipped", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.extend(other.reasons)

    def refuse(self, reason: str) -> None:
        """Count one refused entry and why."""
        self.rejected += 1
        self.reasons.append(reason)


@dataclass(frozen=True)
class Pending:
    """An entry about to be written: its prepared line and what cleaning removes from it."""

    entry: Entry
    line: PreparedLine
    removed: str | None


def write_entries(session: Session, upstream: Upstream, entries: Sequence[Entry], now: datetime,
                  full: bool = False) -> Counts:
    """Write a page of entries in the session's transaction (the caller commits); the page's counts.

    ``full`` compares every entry with its article even when its change marker is the stored one.
    """
    counts = Counts(fetched=len(entries))
    entries = _unique(entries, counts)
    items = _items(session, upstream.id, [entry.remote_id for entry in entries])
    owners = _owners(session, [external_id(entry.guid) for entry in entries])
    countries = country_index(session)
    rules, defaults, hosts = rules_of(upstream), default_countries(upstream), embed_hosts()
    pending: list[Pending] = []
    for number, entry in enumerate(entries):
        item = items.get(entry.remote_id)
        if item is not None and item.modified == entry.modified and not full:
            counts.unchanged += 1
            continue
        owner = owners.get(external_id(entry.guid))
        if owner is not None and owner[0] != upstream.id:
            counts.refuse(f"{_label(entry)}: its GUID {entry.guid[:100]!r} belongs to upstream {owner[1]!r}")
            continue
        mapped = countries_for(entry, rules, defaults)
        if not mapped:
            counts.skipped += 1
            continue
        try:
            data = article_data(entry, mapped, upstream.language, now)
            line = prepare_line(number, b"", data, countries, now)
        except Refused as exc:
            counts.refuse(f"{_label(entry)}: {exc}")
            continue
        except ValidationError as exc:
            counts.refuse(f"{_label(entry)}: {describe(exc)}")
            continue
        pending.append(Pending(entry, line, removed_elements(entry.content, ALLOWED_TAGS, hosts)))
    _write(session, upstream, pending, items, counts, now)
    return counts


def _write(session: Session, upstream: Upstream, pending: list[Pending], items: dict[str, UpstreamItem],
           counts: Counts, now: datetime) -> None:
    outcomes = write_batch(session, [p.line for p in pending], now)
    written = [p for p in pending if outcomes[p.line.number] != CONFLICT]
    for p in pending:
        outcome = outcomes[p.line.number]
        if outcome == CONFLICT:
            counts.refuse(f"{_label(p.entry)}: {outcome}")
        else:
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    ids = _article_ids(session, [p.line.data["external_id"] for p in written])
    for p in written:
        item = items.get(p.entry.remote_id)
        article_id = ids[p.line.data["external_id"]]
        if item is None:
            session.add(UpstreamItem(upstream_id=upstream.id, remote_id=p.entry.remote_id,
                                     article_id=article_id, guid=p.line.data["external_id"],
                                     modified=p.entry.modified, removed=p.removed))
        else:  # only what differs is written (the ORM compares)
            item.article_id, item.modified, item.removed = article_id, p.entry.modified, p.removed
    session.flush()


def _unique(entries: Sequence[Entry], counts: Counts) -> list[Entry]:
    """The entries with a GUID and an id seen once in the page; a repeat is refused with its reason."""
    seen_ids: set[str] = set()
    seen_guids: set[str] = set()
    unique = []
    for entry in entries:
        if entry.remote_id in seen_ids or entry.guid in seen_guids:
            counts.refuse(f"{_label(entry)}: its GUID or id repeats an earlier one of the same page")
            continue
        seen_ids.add(entry.remote_id)
        seen_guids.add(entry.guid)
        unique.append(entry)
    return unique


def _items(session: Session, upstream_id: int, remote_ids: list[str]) -> dict[str, UpstreamItem]:
    rows = session.scalars(select(UpstreamItem).where(UpstreamItem.upstream_id == upstream_id,
                                                      UpstreamItem.remote_id.in_(remote_ids)))
    return {item.remote_id: item for item in rows}


def _owners(session: Session, guids: list[str]) -> dict[str, tuple[int, str]]:
    """The upstream (id, name) that owns each stored external id; an article of none can be adopted."""
    rows = session.execute(
        select(Article.external_id, Upstream.name, UpstreamItem.upstream_id)
        .join(UpstreamItem, UpstreamItem.article_id == Article.id)
        .join(Upstream, Upstream.id == UpstreamItem.upstream_id)
        .where(Article.external_id.in_(guids))
    )
    return {guid: (upstream_id, name) for guid, name, upstream_id in rows}


def _article_ids(session: Session, guids: list[str]) -> dict[str, int]:
    if not guids:
        return {}
    rows = session.execute(select(Article.external_id, Article.id).where(Article.external_id.in_(guids)))
    return dict(rows.all())


def _label(entry: Entry) -> str:
    return f"post {entry.remote_id}" if entry.remote_id.isdigit() else f"entry {entry.guid[:80]!r}"
