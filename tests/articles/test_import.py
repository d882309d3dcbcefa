"""`feedsvc articles import` in batches: good lines land, bad ones are named, reruns and kills are safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from article_helpers import markers, search_index_in_step
from sqlalchemy import func, select

from feedsvc.core.db import new_session
from feedsvc.core.models import Article, Tag, article_countries, article_tags

FEEDSVC = Path(sys.executable).with_name("feedsvc")


def _line(number: int, **fields) -> str:
    data = {"external_id": f"wire-{number}", "title": f"Story {number} &amp; more",
            "countries": ["kazakhstan", "kyrgyzstan"] if number % 3 == 0 else ["uzbekistan"],
            "tags": ["energy", f"t{number % 4}"], "content_html": f"<p>Body {number}</p>",
            "published_at": f"2025-05-01T06:{number % 60:02d}:00Z"}
    data.update(fields)
    return json.dumps(data)


def _import(runner, path: Path, lines: list[str], *args: str):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return runner.invoke(args=["articles", "import", *args, str(path)])


def _stored(app) -> dict[str, object]:
    """What the database holds: the articles by external id, and the row count of every table involved."""
    with app.app_context(), new_session() as session:
        rows = session.execute(select(Article.external_id, Article.title, Article.uuid, Article.updated_at))
        return {
            "articles": {ext: (title, uuid, updated) for ext, title, uuid, updated in rows},
            "counts": [session.scalar(select(func.count()).select_from(table))
                       for table in (Article, Tag, article_countries, article_tags)],
        }


def test_batches_land_every_good_line_and_name_each_bad_one(app, runner, tmp_path) -> None:
    # Batches of 4 non-blank lines: bad lines 3-5 straddle the first boundary; line 10 repeats line 9's
    # external id in the same batch and line 13 line 1's from an earlier one: both must update.
    uuid = "0b0e3c9e-3f5e-4a8e-9d5c-6f1f2b7f6a10"
    lines = [
        _line(1), _line(2), "{broken", _line(4, countries=["atlantis"]),
        _line(5, title=""), _line(6), _line(7), _line(8),
        _line(9), _line(9, title="Story 9, corrected"), "", _line(12, published_at="2025-02-30"),
        _line(1, title="Story 1, corrected"),
        _line(14, uuid=uuid), _line(15, uuid=uuid), json.dumps({"title": "No key", "countries": ["tj"]}),
    ]
    before = markers(app)
    result = _import(runner, tmp_path / "in.ndjson", lines, "--batch-size", "4", "--jobs", "1")
    assert result.exit_code == 1
    reported = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert reported == ["line 3", "line 4", "line 5", "line 12", "line 15"]
    assert "not valid JSON" in result.stderr and "countries" in result.stderr
    assert "published_at" in result.stderr and "belongs to another article" in result.stderr
    assert result.stdout.strip() == "8 created, 2 updated, 0 unchanged, 5 bad"
    stored = _stored(app)["articles"]
    assert sorted(stored, key=str) == sorted(["wire-1", "wire-2", "wire-6", "wire-7", "wire-8", "wire-9",
                                              "wire-14", None], key=str)
    assert stored["wire-1"][0] == "Story 1, corrected" and stored["wire-9"][0] == "Story 9, corrected"
    assert stored["wire-2"][0] == "Story 2 & more" and stored["wire-14"][1] == uuid
    # Four batches wrote: each scope moved once per batch that touched it, never once per article.
    after = markers(app)
    assert after["articles"] - before["articles"] == 4
    assert after["articles:tajikistan"] - before["articles:tajikistan"] == 1


def test_rerun_changes_nothing_and_an_edit_updates_only_its_article(app, runner, tmp_path) -> None:
    lines = [_line(n) for n in range(1, 31)] + [json.dumps({"title": "Keyless", "countries": ["tm"]})]
    path = tmp_path / "in.ndjson"
    first = _import(runner, path, lines, "--batch-size", "8", "--jobs", "1")
    assert first.exit_code == 0 and first.stdout.strip() == "31 created, 0 updated, 0 unchanged, 0 bad"
    stored, revisions = _stored(app), markers(app)
    again = _import(runner, path, lines, "--batch-size", "8", "--jobs", "1")
    assert again.exit_code == 0 and again.stdout.strip() == "0 created, 0 updated, 31 unchanged, 0 bad"
    assert _stored(app) == stored and markers(app) == revisions  # not even updated_at or a marker moved
    lines[4] = _line(5, title="Story 5, new title", tags=["energy"])
    edited = _import(runner, path, lines, "--batch-size", "8", "--jobs", "1")
    assert edited.stdout.strip() == "0 created, 1 updated, 30 unchanged, 0 bad"
    after = _stored(app)["articles"]
    assert after["wire-5"][0] == "Story 5, new title"
    assert after["wire-5"][1] == stored["articles"]["wire-5"][1]  # the same uuid
    assert {k: v for k, v in after.items() if k != "wire-5"} == {
        k: v for k, v in stored["articles"].items() if k != "wire-5"}
    moved = {scope for scope, revision in markers(app).items() if revision != revisions[scope]}
    assert moved == {"articles", "articles:uzbekistan"}


def _count(app) -> int:
    with app.app_context(), new_session() as session:
        return session.scalar(select(func.count()).select_from(Article))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _gone(pids: list[int], seconds: float) -> bool:
    for _ in range(int(seconds * 50)):
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_after_a_batch_then_a_rerun_lands_each_line_once(app, runner, database_urls, db_name,
                                                                tmp_path) -> None:
    # Lines 30, 31 and 40 are bad: the second batch (21-40) is parsed by the worker processes.
    total, batch, bad = 800, 20, {30: "{", 31: "[]", 40: _line(40, language="not a tag")}
    lines = [bad.get(n) or _line(n, content_html="") for n in range(1, total + 1)]
    path = tmp_path / "big.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_DATABASE_URL"] = database_urls[db_name]
    process = subprocess.Popen([str(FEEDSVC), "articles", "import", "--batch-size", str(batch), "--jobs", "2",
                                str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    workers: list[int] = []
    try:
        # At most a minute: poll until the third batch has committed, so the second one's bad lines
        # have been reported (that happens after its commit).
        for _ in range(3000):
            if _count(app) >= 3 * batch - len(bad) or process.poll() is not None:
                break
            time.sleep(0.02)
        workers = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL  # killed, not finished
        assert workers and _gone(workers, 10)  # the parsing workers died with it
        # After a kill, multiprocessing's resource tracker also says it cleaned up the workers' semaphores.
        reported = [line for line in process.stderr.read().splitlines() if line.startswith("line ")]
    finally:
        for pid in [process.pid, *workers]:  # leave nothing behind, whatever failed above
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()
    assert [line.split(":")[0] for line in reported] == ["line 30", "line 31", "line 40"]
    landed = _count(app)
    assert 3 * batch - len(bad) <= landed < total - len(bad)
    assert (landed + len(bad)) % batch == 0  # whole batches only
    result = _import(runner, path, lines, "--batch-size", str(batch), "--jobs", "1")
    assert result.exit_code == 1 and result.stderr.splitlines() == reported
    created = total - len(bad) - landed
    assert result.stdout.strip() == f"{created} created, 0 updated, {landed} unchanged, 3 bad"
    with app.app_context(), new_session() as session:
        distinct = session.scalar(select(func.count(func.distinct(Article.external_id))))
    assert _count(app) == distinct == total - len(bad)
    search_index_in_step(app, db_name)  # a batch killed half-way left nothing in the index either
