"""A WordPress site kept in step with the store: filled by the scheduler, edits, trash, idempotence."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wordpress_replay import START, YOUTUBE_IFRAME, WordPressReplay, site

from feedsvc.articles.upstreams.sync import sync
from feedsvc.core.models import Article, ChangeMarker, Upstream, UpstreamItem, UpstreamRun
from feedsvc.scheduler import start_background_scheduler

MAP = ("--kind", "wordpress", "--map", "category:kazakhstan=kazakhstan")


def _articles(app) -> list[Article]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return list(session.scalars(select(Article).order_by(Article.external_id)))


def _markers(app) -> dict[str, tuple[int, object]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return {m.scope: (m.revision, m.changed_at) for m in session.scalars(select(ChangeMarker))}


def test_the_scheduler_fills_the_store_from_the_replay_with_images_countries_and_stable_guids(
        app_factory, wordpress, add_upstream) -> None:
    app = app_factory(SCHEDULER_SECONDS=1, RATES_SOURCES=("peg",))
    replay = site(3, START)
    replay.add_post(200, START, categories=("kyrgyzstan",))  # maps to no tracked country: skipped
    replay.add_post(201, START + timedelta(days=400), status="future")  # scheduled: never listed
    origin = wordpress(replay)
    scheduler = start_background_scheduler(app)
    try:
        time.sleep(1.5)  # the scheduler runs, with no upstream yet
        add_upstream("desk", origin, *MAP)  # picked up without a restart
        deadline = time.monotonic() + 30
        while len(_articles(app)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
    articles = _articles(app)
    assert [a.external_id for a in articles] == [f"http://example.org/?p={n}" for n in (101, 102, 103)]
    first = articles[0]
    assert first.title == "REST API Client Fixture: Post 101"
    assert first.content_html == "<p>Updated post content.</p>"
    assert first.summary == "REST API Client Fixture: Post"
    assert first.author == "REST API Client Fixture: User"
    assert first.source_url == "http://example.org/?p=101"
    assert [c.slug for c in first.countries] == ["kazakhstan"]
    assert [t.slug for t in first.tags] == ["kazakhstan", "restapi-client-fixture-tag"]
    assert (first.image_url, first.image_width, first.image_height, first.image_alt) == (
        "http://example.org/wp-content/uploads//tmp/canola.jpg", 1200, 675, "A field of canola in flower")
    assert first.published_at == START + timedelta(minutes=1)
    assert not any("status=" in path for path in replay.requests)  # only published posts were asked for
    with Session(app.extensions["feedsvc.engine"]) as session:
        run = session.scalars(select(UpstreamRun).where(UpstreamRun.created == 3)).one()
        assert (run.outcome, run.skipped, run.job, run.scheduled_at is not None) == ("ok", 1, "sync", True)
    uuids = {a.external_id: a.uuid for a in articles}
    with app.app_context():
        assert sync("desk", full=True).outcome == "ok"
    assert {a.external_id: a.uuid for a in _articles(app)} == uuids  # GUIDs stay stable


def test_a_second_sync_writes_nothing_and_an_edit_is_updated_within_one_run(
        app, wordpress, add_upstream) -> None:
    replay = site(150, START)  # two pages
    add_upstream("desk", wordpress(replay), *MAP)
    with app.app_context():
        first = sync("desk")
    assert (first.outcome, first.counts.created, first.requests) == ("ok", 150, 2)
    markers = _markers(app)
    with app.app_context():
        again = sync("desk")
        full = sync("desk", full=True)
    # One request, nothing new:
    assert (again.counts.created, again.counts.updated, again.requests) == (0, 0, 1)
    assert (full.counts.unchanged, full.counts.updated) == (150, 0)  # compared, nothing differs
    assert _markers(app) == markers  # no change marker moved
    replay.edit(120, START + timedelta(days=1), title="Corrected: Almaty metro opens")
    with app.app_context():
        edited = sync("desk")
    assert (edited.counts.updated, edited.counts.created, edited.requests) == (1, 0, 1)
    titles = {a.external_id: a.title for a in _articles(app)}
    assert titles["http://example.org/?p=120"] == "Corrected: Almaty metro opens"
    assert _markers(app)["articles:kazakhstan"][0] == markers["articles:kazakhstan"][0] + 1


def test_a_trashed_post_answers_410_after_one_sweep(app, client, wordpress, add_upstream) -> None:
    replay = site(3, START)
    add_upstream("desk", wordpress(replay), *MAP)
    with app.app_context():
        sync("desk")
    gone = next(a for a in _articles(app) if a.external_id == "http://example.org/?p=102")
    replay.posts[102]["status"] = "trash"
    with app.app_context():
        sweep = sync("desk", full=True)  # a full sync sweeps; else every UPSTREAM_SWEEP_SECONDS
    assert (sweep.outcome, sweep.counts.deleted) == ("ok", 1)
    assert client.get(f"/api/articles/{gone.id}").status_code == 410
    assert len(_articles(app)) == 2
    assert any("include=101%2C102%2C103" in path and "_fields=id" in path for path in replay.requests)


def test_the_sweep_runs_when_due_on_the_schedule(app_factory, wordpress, add_upstream) -> None:
    app = app_factory(UPSTREAM_SWEEP_SECONDS=1)
    replay = site(2, START)
    add_upstream("desk", wordpress(replay), *MAP)
    with app.app_context():
        sync("desk")  # the first sync reads everything: its sweep is due an interval later
        replay.posts[101]["status"] = "draft"  # unpublished
        time.sleep(1.1)
        assert sync("desk").counts.deleted == 1


def test_a_site_without_modified_after_is_read_by_pages(app, wordpress, add_upstream) -> None:
    replay = site(120, START)
    replay.modified_after = False  # before WordPress 5.7 the parameter is ignored
    add_upstream("desk", wordpress(replay), *MAP)
    with app.app_context():
        assert sync("desk").counts.created == 120
        replay.edit(101, START + timedelta(days=2), title="Edited on an old site")
        second = sync("desk")
    assert (second.outcome, second.counts.updated, second.counts.unchanged) == ("ok", 1, 119)
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert session.scalars(select(Upstream)).one().modified_after is False


def test_an_edit_while_paging_is_not_missed(app, wordpress, add_upstream) -> None:
    replay = site(250, START)
    add_upstream("desk", wordpress(replay), *MAP)
    original = replay.answer

    def edit_during_the_second_page(request):
        if "page=1" in request.query_string.decode() and "modified_after" in request.query_string.decode():
            replay.edit(103, START + timedelta(days=3), title="Edited while the sync paged")
        return original(request)

    replay.answer = edit_during_the_second_page  # type: ignore[method-assign]
    with app.app_context():
        assert sync("desk").counts.created == 250
    titles = {a.external_id: a.title for a in _articles(app)}
    assert titles["http://example.org/?p=103"] == "Edited while the sync paged"


def test_an_allowed_embed_survives_and_what_was_removed_is_noted(app, runner, wordpress,
                                                                add_upstream) -> None:
    replay = WordPressReplay()
    body = (f"<p>Watch:</p>{YOUTUBE_IFRAME}<iframe src=\"https://www.facebook.com/plugins/video.php\">"
            "</iframe><script>track()</script>")
    replay.add_post(7, START, content=body)
    add_upstream("desk", wordpress(replay), *MAP)
    with app.app_context():
        sync("desk")
    article = _articles(app)[0]
    assert ('<iframe src="https://www.youtube-nocookie.com/embed/i_cVJgIz_Cs?feature=oembed" title="No te '
            'olvides de poner el Where en el Delete From. (Una cancion para programadores)" width="500" '
            'height="375" allowfullscreen="" sandbox="allow-scripts allow-same-origin allow-popups '
            'allow-popups-to-escape-sandbox allow-presentation" allow="fullscreen; picture-in-picture" '
            'referrerpolicy="strict-origin-when-cross-origin" loading="lazy"></iframe>'
            ) in article.content_html
    assert "facebook" not in article.content_html and "track()" not in article.content_html
    listing = runner.invoke(args=["upstreams", "list", "--verbose"])
    assert f"article {article.id} (7): removed script, iframe from www.facebook.com" in listing.output
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert session.scalar(select(func.count()).select_from(UpstreamItem)) == 1
