"""Feeds kept in step: RSS, Atom and JSON Feed (our own served feeds, a WordPress RSS), conditional GET."""

from __future__ import annotations

from feed_replay import FEED, RSS, FeedServer
from sqlalchemy import select
from sqlalchemy.orm import Session

import config
from feedsvc import create_app
from feedsvc.articles.demo import load_demo_articles
from feedsvc.articles.upstreams.sync import sync
from feedsvc.core.db import new_session, upgrade_database
from feedsvc.core.models import Article, ChangeMarker


def _articles(app) -> list[Article]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return list(session.scalars(select(Article).order_by(Article.published_at)))


def _markers(app) -> list[tuple]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return [(m.scope, m.revision) for m in session.scalars(select(ChangeMarker))]


def test_a_wordpress_rss_feed_with_its_quirks(app, serve, add_upstream, runner) -> None:
    server = FeedServer(RSS.replace("{hub}", "").replace('<atom:link rel="hub" href=""/>', ""))
    origin = serve(server)
    server.body = server.body.replace("{origin}", origin)
    add_upstream("steppe", origin + "/feed/", *FEED)
    with app.app_context():
        run = sync("steppe")
    # Four items: one repeats the first, one maps to no tracked country (Tajikistan is not mapped here).
    assert (run.outcome, run.counts.created, run.counts.skipped, run.counts.rejected) == ("partial", 2, 1, 1)
    assert "repeats an earlier one" in run.error
    tram, budget = sorted(_articles(app), key=lambda a: a.title)
    assert tram.title == "Astana’s new tram line: the first week"
    assert tram.external_id == "https://steppe-desk.example/?p=4312"
    assert tram.author == "Aigerim Sadykova"
    assert tram.published_at.isoformat() == "2026-01-06T09:12:44+00:00"  # +0500 read as such
    assert '<a href="https://steppe-desk.example/2026/01/01/plans/"' in tram.content_html  # made absolute
    assert 'src="https://www.youtube-nocookie.com/embed/i_cVJgIz_Cs?feature=oembed"' in tram.content_html
    assert "_stats" not in tram.content_html
    assert (tram.image_url, tram.image_width, tram.image_height) == (
        "https://steppe-desk.example/wp-content/uploads/2026/01/tram.jpg", 1200, 675)
    assert [c.slug for c in tram.countries] == ["kazakhstan"]
    assert [t.slug for t in tram.tags] == ["kazakhstan", "transport"]
    assert budget.title == "Bishkek budget passes second reading"  # markup removed from the title
    assert budget.image_url == "https://steppe-desk.example/wp-content/uploads/2026/01/council.jpg"
    markers = _markers(app)
    with app.app_context():
        again = sync("steppe")
    assert (again.outcome, again.requests, again.counts.fetched) == ("ok", 1, 0)  # a 304: nothing read
    assert server.requests[-1] is not None  # it asked with the ETag
    assert _markers(app) == markers
    listing = runner.invoke(args=["upstreams", "list", "--verbose"]).output
    assert "removed script" in listing and "validators: ETag" in listing


def test_an_edited_entry_is_updated(app, serve, add_upstream) -> None:
    server = FeedServer(RSS)
    origin = serve(server)
    server.body = RSS.replace("{origin}", origin).replace('<atom:link rel="hub" href="{hub}"/>', "")
    add_upstream("steppe", origin + "/feed/", *FEED)
    with app.app_context():
        sync("steppe")
        server.body = server.body.replace("The city council voted 31 to 4.", "The council voted 31 to 4.")
        edited = sync("steppe")
    assert (edited.counts.updated, edited.counts.created) == (1, 0)
    assert any(a.summary == "The council voted 31 to 4." for a in _articles(app))


def _served_feedsvc(tmp_path, serve) -> str:
    """A second feedsvc on its own database with the demo articles, served for real; its origin."""
    source = create_app(config.TestConfig(DATABASE_URL=f"sqlite:///{tmp_path / 'source.sqlite3'}"))
    with source.app_context():
        upgrade_database(source.extensions["feedsvc.engine"], source.config["COUNTRIES"])
        with new_session() as session:
            load_demo_articles(session)
            session.commit()
    return serve(source)


def test_our_own_feeds_in_three_formats(app, serve, add_upstream, tmp_path) -> None:
    origin = _served_feedsvc(tmp_path, serve)
    for name, path in (("atom", "/feeds/kazakhstan.atom"), ("rss", "/feeds/kazakhstan.rss"),
                       ("json", "/feeds/kazakhstan.json")):
        add_upstream(f"own-{name}", origin + path, *FEED)
    with app.app_context():
        atom = sync("own-atom")
        rss, json_feed = sync("own-rss"), sync("own-json")
        again = sync("own-atom")
    assert atom.outcome == "ok" and atom.counts.created > 0
    # The same stories under the same urn:uuid GUIDs: the second and third upstream may not take them.
    assert rss.counts.rejected == json_feed.counts.rejected == atom.counts.created
    assert (again.requests, again.counts.fetched) == (1, 0)  # our feeds answer 304 to their ETag
    for article in _articles(app):
        assert article.external_id.startswith("urn:uuid:")
        assert "kazakhstan" in [c.slug for c in article.countries]  # and any other country mapped
        assert article.source_url.startswith(origin + "/articles/")
