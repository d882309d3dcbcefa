"""Bad upstreams: a failed or partial run with a clear reason, nothing half-written, nothing deleted."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug import Request, Response
from wordpress_replay import POSTS_PATH, START, WordPressReplay, site

from feedsvc.articles.upstreams.sync import sync
from feedsvc.core.models import Article, ChangeMarker, UpstreamRun

MAP = ("--kind", "wordpress", "--map", "category:kazakhstan=kazakhstan")
NOT_LOGGED_IN = {"code": "rest_not_logged_in", "message": "You are not currently logged in.",
                 "data": {"status": 401}}
HTML = b"<!doctype html><html><head><title>News</title></head><body><h1>Welcome</h1></body></html>"


class Faulty:
    """A replayed site that can be switched to one of the faults a real site has."""

    def __init__(self, replay: WordPressReplay) -> None:
        self.replay, self.fault = replay, None

    def __call__(self, environ: dict, start_response):
        request = Request(environ)
        response = {
            None: lambda: self.replay.answer(request),
            "html": lambda: Response(HTML, content_type="text/html; charset=UTF-8"),
            "401": lambda: Response(json.dumps(NOT_LOGGED_IN), status=401, content_type="application/json"),
            "500": lambda: Response("Internal Server Error", status=500),
            "loop": lambda: Response(status=302, headers={"Location": request.full_path}),
            "huge": lambda: Response((b"[" + b" " * 1024 * 1024 for _ in range(20)),  # 20 MB
                                     content_type="application/json"),
            "slow": lambda: (time.sleep(2), Response("[]", content_type="application/json"))[1],
            "empty": lambda: Response("[]", content_type="application/json",
                                      headers={"X-WP-Total": "0", "X-WP-TotalPages": "0"}),
        }[self.fault]()
        return response(environ, start_response)


def _count(app, model=Article) -> int:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return session.scalar(select(func.count()).select_from(model))


def _markers(app) -> list[tuple]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        markers = session.scalars(select(ChangeMarker).order_by(ChangeMarker.scope))
        return [(m.scope, m.revision) for m in markers]


@pytest.mark.parametrize(("fault", "reason"), [
    ("html", "not JSON (text/html, 89 bytes): is the WordPress REST API at /wp-json/wp/v2/posts?"),
    ("401", "HTTP 401 from http://127.0.0.1:"),
    ("500", "HTTP 500 from http://127.0.0.1:"),
    ("loop", "too many redirects (a redirect loop?)"),
    ("huge", "body over the cap of 5242880 bytes"),
    ("slow", "DeadlineExceeded"),
])
def test_a_failing_site_is_a_failed_run_with_its_reason_and_deletes_nothing(
        app_factory, serve, add_upstream, client, fault, reason) -> None:
    app = app_factory(HTTP_RETRIES=1, HTTP_BACKOFF=0.01, HTTP_TOTAL_TIMEOUT=1.0)
    site_ = Faulty(site(120, START))
    add_upstream("desk", serve(site_), *MAP)
    with app.app_context():
        assert sync("desk").counts.created == 120
    markers = _markers(app)
    site_.fault = fault
    with app.app_context():
        failed = sync("desk", full=True)  # a full sync would sweep: it must not
    assert failed.outcome == "error"
    assert reason in failed.error
    assert (_count(app), _markers(app)) == (120, markers)
    assert client.get("/healthz").get_json()["status"] in ("ok", "degraded")  # the store is fine
    assert client.get("/healthz").status_code == 200


def test_a_site_that_answers_an_empty_list_to_every_id_deletes_nothing(app, serve, add_upstream) -> None:
    site_ = Faulty(site(12, START))
    add_upstream("desk", serve(site_), *MAP)
    with app.app_context():
        sync("desk")
        site_.fault = "empty"
        refused = sync("desk", full=True)
    assert refused.outcome == "error" and "refusing to delete them all" in refused.error
    assert _count(app) == 12


def test_posts_without_a_title_or_with_implausible_dates_are_refused_one_by_one(
        app, serve, add_upstream, runner) -> None:
    replay = site(2, START)
    replay.add_post(300, START, title="")
    replay.add_post(301, START.replace(year=1985))
    replay.add_post(302, START.replace(year=2031))
    add_upstream("desk", serve(replay), *MAP)
    with app.app_context():
        run = sync("desk")
    assert (run.outcome, run.counts.created, run.counts.rejected) == ("partial", 2, 3)
    assert "post 300: no title" in run.error
    assert "post 301: dated 1985-01-05, before 1990" in run.error
    assert "post 302: dated 2031-01-05T08:00:00+00:00, in the future" in run.error
    listing = runner.invoke(args=["upstreams", "list"]).output
    assert "last error (" in listing and "post 300: no title" in listing


def test_a_guid_another_upstream_brought_is_refused(app, serve, add_upstream) -> None:
    add_upstream("desk", serve(site(2, START)), *MAP)
    add_upstream("mirror", serve(site(3, START)), *MAP)  # the same GUIDs ?p=101 and ?p=102, and ?p=103
    with app.app_context():
        assert sync("desk").counts.created == 2
        mirror = sync("mirror")
    assert (mirror.outcome, mirror.counts.created, mirror.counts.rejected) == ("partial", 1, 2)
    assert "post 101: its GUID 'http://example.org/?p=101' belongs to upstream 'desk'" in mirror.error
    assert _count(app) == 3


class Endless:
    """A site that claims 10,000 pages and has them: every page is 100 posts newer than the last."""

    def __init__(self) -> None:
        self.requests = 0

    def __call__(self, environ: dict, start_response):
        self.requests += 1
        replay = WordPressReplay()
        for number in range(100):
            post_id = self.requests * 100 + number
            replay.add_post(post_id, START + timedelta(seconds=post_id))
        posts = [replay.render(post, True) for post in replay.posts.values()]
        response = Response(json.dumps(posts), content_type="application/json",
                            headers={"X-WP-Total": "1000000", "X-WP-TotalPages": "10000"})
        return response(environ, start_response)


def test_ten_thousand_pages_stop_at_the_page_cap_and_the_next_run_goes_on(app_factory, serve,
                                                                          add_upstream) -> None:
    app = app_factory(UPSTREAM_MAX_PAGES=3)
    endless = Endless()
    add_upstream("desk", serve(endless), *MAP)
    with app.app_context():
        first = sync("desk")
        second = sync("desk")
    assert (first.outcome, first.counts.created, first.requests) == ("partial", 300, 3)
    assert "stopped after 3 pages" in first.error
    assert (second.counts.created, _count(app)) == (300, 600)


def test_an_unknown_path_is_a_failed_run_naming_the_route(app, serve, add_upstream) -> None:
    add_upstream("desk", serve(site(1, START)) + "/blog", *MAP)  # the API is not under /blog
    with app.app_context():
        run = sync("desk")
    assert run.outcome == "error" and "HTTP 404 from" in run.error and POSTS_PATH in run.error
    assert run.requests == 1


def test_metrics_and_the_list_say_an_upstream_is_down_while_healthz_stays_ok(
        app_factory, serve, add_upstream, client, runner, token) -> None:
    app = app_factory(HTTP_RETRIES=0)
    site_ = Faulty(site(1, START))
    add_upstream("desk", serve(site_), *MAP)
    with app.app_context():
        sync("desk")
        site_.fault = "401"
        sync("desk")
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert 'feedsvc_upstream_up{kind="wordpress",upstream="desk"} 0.0' in metrics
    assert 'feedsvc_upstream_runs_total{kind="wordpress",outcome="error",upstream="desk"} 1.0' in metrics
    assert 'feedsvc_upstream_articles{kind="wordpress",upstream="desk"} 1.0' in metrics
    assert client.get("/healthz").status_code == 200
    listing = runner.invoke(args=["upstreams", "list"]).output
    assert ": error (" in listing and "HTTP 401 from" in listing
    assert _count(app, UpstreamRun) == 2
