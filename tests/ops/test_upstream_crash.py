"""`feedsvc upstreams sync` killed with -9 mid-run: whole pages only; the next run closes it, goes on."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scheduler_procs import feedsvc_env, kill_group, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.articles.upstreams.sync import sync
from feedsvc.core.models import Article, UpstreamRun

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "articles" / "upstreams"))
from wordpress_replay import START, site  # noqa: E402 - the replay lives with the upstream tests


class SlowSite:
    """The replay, each page after the first answered a second late: a sync can be killed between pages."""

    def __init__(self, count: int) -> None:
        self.replay = site(count, START)

    def __call__(self, environ: dict, start_response):
        if "modified_after" in environ.get("QUERY_STRING", ""):
            time.sleep(1.0)
        return self.replay(environ, start_response)


def _landed(app) -> tuple[int, list[tuple[str, int]]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        records = session.scalars(select(UpstreamRun).order_by(UpstreamRun.id))
        runs = [(run.outcome, run.created) for run in records]
    return articles, runs


def test_kill_9_leaves_whole_pages_and_the_next_run_closes_it_as_abandoned(
        app, database_urls, db_name, processes, serve_wsgi, runner) -> None:
    served = serve_wsgi(SlowSite(350))
    origin = next(served)
    try:
        added = runner.invoke(args=["upstreams", "add", "desk", origin, "--kind", "wordpress",
                                    "--map", "category:kazakhstan=kazakhstan"])
        assert added.exit_code == 0, added.output
        env = feedsvc_env(database_urls[db_name], origin)
        process = processes.start(["upstreams", "sync", "desk"], env, "sync")
        wait_for(lambda: _landed(app)[0] >= 100, 30, "the first page to land")
        kill_group(process)  # SIGKILL, between two pages or in the middle of one
        articles, runs = _landed(app)
        assert articles % 100 == 0 and articles < 350  # whole pages only
        assert runs == [("running", articles)]  # its record counts what landed, left open
        with app.app_context():
            resumed = sync("desk")
        assert resumed.outcome == "ok"
        assert _landed(app) == (350, [("abandoned", articles), ("ok", 350 - articles)])
    finally:
        served.close()
