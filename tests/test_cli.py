"""The feedsvc command group: its help, tokens, article import/export, db upgrade, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from feedsvc.articles import listing, store
from feedsvc.cli import main
from feedsvc.core.db import new_session
from feedsvc.core.models import ApiToken, Article

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
OURS = {"articles", "db", "demo", "rates", "run", "scheduler", "token"}
# Flask's developer options and installed extensions' groups: the `flask` command keeps them.
NOT_OURS = ("--app", "-A,", "--debug", "--env-file", "dotenv", "limiter", "openapi", "routes", "shell")
BODY = {"title": "Metro line extension approved", "countries": ["uzbekistan"], "tags": ["transport"]}


def _line(**fields) -> str:
    data = {"title": "Imported story", "countries": ["kazakhstan"], "published_at": "2025-05-01T06:00:00Z"}
    data.update(fields)
    return json.dumps(data)


def _count(app) -> int:
    with app.app_context(), new_session() as session:
        return session.scalar(select(func.count()).select_from(Article))


def _export(runner) -> list[dict]:
    result = runner.invoke(args=["articles", "export"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _import(runner, tmp_path, lines: list[str]):
    path = tmp_path / "in.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return runner.invoke(args=["articles", "import", str(path)])


# tokens


def test_token_create_prints_a_working_token(client, runner) -> None:
    result = runner.invoke(args=["token", "create", "desk"])
    assert result.exit_code == 0
    secret = result.stdout.strip()
    response = client.post("/api/articles", json=BODY, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201


def test_token_create_refuses_a_duplicate_name(runner) -> None:
    assert runner.invoke(args=["token", "create", "desk"]).exit_code == 0
    result = runner.invoke(args=["token", "create", "desk"])
    assert result.exit_code != 0 and "exists" in result.output


def test_token_list_and_revoke(app, client, runner) -> None:
    secret = runner.invoke(args=["token", "create", "desk"]).stdout.strip()
    runner.invoke(args=["token", "create", "wire"])
    listing = runner.invoke(args=["token", "list"])
    assert listing.exit_code == 0
    assert [line.split("\t")[0] for line in listing.stdout.splitlines()] == ["desk", "wire"]
    assert secret not in listing.stdout
    revoked = runner.invoke(args=["token", "revoke", "desk"])
    assert revoked.exit_code == 0 and "revoked desk" in revoked.stdout
    assert client.post("/api/articles", json=BODY,
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert [line.split("\t")[0] for line in runner.invoke(args=["token", "list"]).stdout.splitlines()] == [
        "wire"
    ]
    missing = runner.invoke(args=["token", "revoke", "desk"])
    assert missing.exit_code != 0 and "no token" in missing.output


def test_only_the_hash_is_in_the_database(app, runner) -> None:
    secret = runner.invoke(args=["token", "create", "desk"]).stdout.strip()
    with app.app_context(), new_session() as session:
        row = session.scalars(select(ApiToken)).one()
        stored = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
    assert all(secret not in value for value in stored)


# export and import


def test_export_is_the_api_schema_newest_first(client, runner, auth_headers) -> None:
    for day in (3, 1, 2):
        client.post("/api/articles", json={**BODY, "title": f"Day {day}",
                                           "published_at": f"2025-05-0{day}T00:00:00Z"},
                    headers=auth_headers)
    exported = _export(runner)
    assert [a["title"] for a in exported] == ["Day 3", "Day 2", "Day 1"]
    from_api = client.get(f"/api/articles/{exported[0]['id']}").get_json()
    assert set(exported[0]) == set(from_api)
    assert {k: v for k, v in exported[0].items() if k != "url"} == {
        k: v for k, v in from_api.items() if k != "url"
    }
    assert exported[0]["url"].startswith("http://127.0.0.1:8000/articles/")


def test_export_of_an_empty_store_is_empty(runner) -> None:
    assert _export(runner) == []


def test_round_trip_into_an_empty_database(app, client, runner, auth_headers, tmp_path) -> None:
    bodies = [
        {**BODY, "published_at": "2025-05-01T00:00:00Z", "external_id": "rt-1"},
        {"title": "Tom & Jerry <b>meet</b> — café", "countries": ["kz", "kyrgyzstan"], "tags": ["media"],
         "summary": "Plain & simple", "content_html": '<p>See <a href="https://e.org/x">this</a></p>',
         "author": "Staff <desk@example.org>", "image_url": "https://picsum.photos/seed/rt/800/450",
         "source_url": "https://e.org/rt", "language": "ru-KZ", "published_at": "2025-05-02T10:00:00Z"},
        {"title": "Same time", "countries": ["tajikistan"], "published_at": "2025-05-02T10:00:00Z"},
    ]
    for body in bodies:
        assert client.post("/api/articles", json=body, headers=auth_headers).status_code == 201
    before = _export(runner)
    with app.app_context(), new_session() as session:
        for article in list(session.scalars(select(Article))):
            store.delete_article(session, article)
        session.commit()
    assert _count(app) == 0
    result = _import(runner, tmp_path, [json.dumps(a) for a in reversed(before)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.stdout
    after = _export(runner)

    def comparable(articles: list[dict]) -> list[dict]:
        return [{k: v for k, v in a.items() if k not in ("id", "url", "updated_at")} for a in articles]

    assert comparable(after) == comparable(before)
    again = _import(runner, tmp_path, [json.dumps(a) for a in before])
    assert again.exit_code == 0 and "0 created, 0 updated, 3 unchanged, 0 bad" in again.stdout


def test_import_is_idempotent_by_external_id(app, runner, tmp_path) -> None:
    lines = [_line(external_id="wire-1"), _line(external_id="wire-2", title="Second")]
    first = _import(runner, tmp_path, lines)
    assert first.exit_code == 0 and "2 created" in first.stdout
    exported = _export(runner)
    second = _import(runner, tmp_path, lines)
    assert "0 created, 0 updated, 2 unchanged" in second.stdout
    assert _export(runner) == exported  # nothing touched, not even updated_at
    third = _import(runner, tmp_path, [_line(external_id="wire-1", title="Corrected"), lines[1]])
    assert "0 created, 1 updated, 1 unchanged" in third.stdout
    titles = {a["external_id"]: a["title"] for a in _export(runner)}
    assert titles == {"wire-1": "Corrected", "wire-2": "Second"}
    assert _count(app) == 2


def test_import_keeps_uuid_and_ignores_output_fields(runner, tmp_path) -> None:
    uuid = "0b0e3c9e-3f5e-4a8e-9d5c-6f1f2b7f6a10"
    line = _line(uuid=uuid, id=999, url="https://old.example/a/1", updated_at="2020-01-01T00:00:00Z")
    assert _import(runner, tmp_path, [line]).exit_code == 0
    (article,) = _export(runner)
    assert article["uuid"] == uuid and article["id"] != 999 and "old.example" not in article["url"]


def test_bad_lines_are_reported_and_good_lines_land(app, runner, tmp_path) -> None:
    lines = [
        _line(external_id="ok-1"),
        "{not json",
        _line(title=""),
        "[1, 2]",
        _line(countries=["atlantis"], external_id="bad-country"),
        "",
        _line(external_id="ok-2", title="Also fine"),
        _line(published_at="2025-02-30"),
        _line(external_id="x\u0000y"),
        _line(colour="red"),
    ]
    result = _import(runner, tmp_path, lines)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4", "line 5", "line 8",
                                                 "line 9", "line 10"]
    assert "title" in errors[1] and "countries" in errors[3] and "published_at" in errors[4]
    assert "2 created" in result.stdout and "7 bad" in result.stdout
    assert sorted(a["external_id"] for a in _export(runner)) == ["ok-1", "ok-2"]


def test_a_bad_line_writes_nothing_partial(app, runner, tmp_path) -> None:
    # The tag would be created before the unknown country is noticed: it must not stay behind.
    result = _import(runner, tmp_path, [_line(tags=["brand-new-tag"], countries=["kazakhstan", "nowhere"])])
    assert result.exit_code == 1
    assert _count(app) == 0
    with app.app_context(), new_session() as session:
        assert listing.list_articles(session, tag="brand-new-tag").total == 0


def test_a_uuid_conflict_is_a_bad_line(runner, tmp_path) -> None:
    uuid = "0b0e3c9e-3f5e-4a8e-9d5c-6f1f2b7f6a10"
    result = _import(runner, tmp_path, [_line(uuid=uuid, external_id="a"), _line(uuid=uuid, external_id="b")])
    assert result.exit_code == 1 and result.stderr.startswith("line 2: ")
    assert len(_export(runner)) == 1


def test_import_from_stdin_and_invalid_utf8(runner) -> None:
    data = (_line(external_id="s-1") + "\n").encode() + b'{"title": "\xff"}\n' + (_line() + "\n").encode()
    result = runner.invoke(args=["articles", "import", "-"], input=data)
    assert result.exit_code == 1
    assert result.stderr.startswith("line 2: not UTF-8")
    assert len(_export(runner)) == 2


def test_lone_surrogates_in_a_line_are_cleaned_or_reported(runner, tmp_path) -> None:
    lines = ['{"title": "Gas\\ud800 prices", "countries": ["kazakhstan"]}',
             '{"title": "x", "countries": ["kazakhstan"], "external_id": "\\udfff"}']
    result = _import(runner, tmp_path, lines)
    assert result.exit_code == 1 and result.stderr.startswith("line 2: external_id")
    assert [a["title"] for a in _export(runner)] == ["Gas prices"]


# database and demo


def test_db_upgrade_twice_is_safe(app, runner, auth_headers, client) -> None:
    client.post("/api/articles", json=BODY, headers=auth_headers)
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.stdout
    assert _count(app) == 1
    assert len(client.get("/api/countries").get_json()["items"]) == 5


def test_demo_twice_gives_the_same_articles(app, runner) -> None:
    exports, outputs = [], []
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
        exports.append(_export(runner))
    assert len(exports[0]) >= 18
    assert exports[0] == exports[1]  # same rows, same ids and updated_at: nothing rewritten
    assert "0 new articles" in outputs[1]


def test_token_names_are_checked(runner) -> None:
    for name in ("", "two words", "x" * 101, "nul\x00"):
        result = runner.invoke(args=["token", "create", name])
        assert result.exit_code == 2 and "NAME" in result.output
    assert runner.invoke(args=["token", "list"]).stdout == ""


def test_export_uses_the_public_url(app_factory, tmp_path) -> None:
    app = app_factory(PUBLIC_URL="https://news.example.org")
    runner = app.test_cli_runner()
    assert _import(runner, tmp_path, [_line()]).exit_code == 0
    (article,) = _export(runner)
    assert article["url"].startswith("https://news.example.org/articles/")


# the command group's help


def _command_paths(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of ``group``, as the words that call it."""
    paths = []
    for name, command in group.commands.items():
        paths.append((*path, name))
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*path, name))
    return paths


def _listed(help_text: str) -> set[str]:
    """The command names in a help text's "Commands:" section."""
    lines = help_text.split("Commands:")[1].splitlines()
    return {line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")}


def test_help_lists_our_commands_only() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert _listed(result.output) == set(main.commands) >= OURS
    for word in NOT_OURS:
        assert word not in result.output, word


def test_every_listed_command_has_working_help() -> None:
    paths = _command_paths(main)
    assert {path[0] for path in paths} == set(main.commands) >= OURS
    assert ("rates", "backfill") in paths and ("token", "create") in paths
    for path in paths:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert f"Usage: feedsvc {' '.join(path)} " in result.output, path


@pytest.mark.parametrize("args", [["limiter", "limits"], ["openapi", "print"], ["routes"], ["shell"],
                                  ["--app", "wsgi", "routes"], ["--debug", "demo"]])
def test_flask_and_extension_commands_are_not_ours(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "No such command" in result.output or "No such option" in result.output


def test_the_installed_command_is_this_group(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDSVC_", "FLASK_"))}
    result = subprocess.run([str(BIN / "feedsvc"), "--help"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert _listed(result.stdout) == set(main.commands)


def test_the_flask_command_keeps_the_developer_tools(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDSVC_", "FLASK_"))}
    env["FEEDSVC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    routes = subprocess.run([*flask, "routes"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert routes.returncode == 0, routes.stderr
    assert "/rates.csv" in routes.stdout and "feeds.get_feed" in routes.stdout
    listing = subprocess.run([*flask, "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert {"routes", "shell", "token", "rates"} <= _listed(listing.stdout)
