"""The docs stay true: every route is in docs/http.md, every relative link lands, the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

import config
from feedsvc import cli as feedsvc_cli
from feedsvc import create_app

ROOT = Path(__file__).resolve().parent.parent
HTTP_DOC = ROOT / "docs" / "http.md"
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "bench" / "README.md",
        ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200
IGNORED_METHODS = {"HEAD", "OPTIONS"}
FENCE = re.compile(r"^ *```.*?^ *```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
ROUTE_SPAN = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/\S*)")  # `GET /feeds/<country>.<fmt>?limit=`
CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")  # <int:article_id> -> <article_id>
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", re.M)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app as the tests build it; its routes do not need the database."""
    database = tmp_path_factory.mktemp("docs") / "unused.sqlite3"
    return create_app(config.TestConfig(DATABASE_URL=f"sqlite:///{database}"))


def prose(path: Path) -> str:
    """A Markdown file without its fenced code blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def documented_routes(text: str) -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every code span written ``METHOD /path[?query]``."""
    found = set()
    for span in CODE_SPAN.findall(text):
        match = ROUTE_SPAN.fullmatch(span)
        if match:
            found.add((match.group(1), match.group(2).split("?", 1)[0]))
    return found


def doc_path(rule: Rule) -> str:
    """A rule's path as docs/http.md writes it: each ``<converter:name>`` as ``<name>``."""
    return CONVERTER.sub(r"<\1>", rule.rule)


def app_routes(app: Flask) -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every rule of the app, HEAD and OPTIONS aside."""
    return {(method, doc_path(rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods or () if method not in IGNORED_METHODS}


def test_every_route_is_documented_in_http_md(app: Flask) -> None:
    missing = app_routes(app) - documented_routes(prose(HTTP_DOC))
    assert not missing, (f"routes missing from docs/http.md (write each as `METHOD /path`): "
                         f"{sorted(missing)}")


def test_every_route_documented_in_http_md_exists(app: Flask) -> None:
    routes = app_routes(app)
    adapter = app.url_map.bind("localhost")
    unknown = []
    for method, path in sorted(documented_routes(prose(HTTP_DOC)) - routes):
        try:  # an example such as `GET /feeds/kazakhstan.rss` is fine when a route serves it
            adapter.match(path, method=method)
        except HTTPException:
            unknown.append(f"{method} {path}")
    assert not unknown, f"docs/http.md documents routes the app does not have: {unknown}"


def test_the_route_check_reads_the_convention() -> None:
    text = "`GET /api/articles?country=&tag=`, `DELETE /api/articles/<article_id>`; not `/x`, `POST hub`."
    assert documented_routes(text) == {("GET", "/api/articles"), ("DELETE", "/api/articles/<article_id>")}
    assert doc_path(Rule("/sitemap-<int:number>.xml")) == "/sitemap-<number>.xml"
    assert doc_path(Rule("/assets/<path:filename>")) == "/assets/<filename>"


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    result = set()
    for heading in HEADING.findall(prose(path)):
        slug = anchor(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_lands(doc: Path) -> None:
    broken = []
    for target in LINK.findall(CODE_SPAN.sub("", prose(doc))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: not ours to check
            continue
        name, _, fragment = target.partition("#")
        linked = (doc.parent / name).resolve() if name else doc
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading #{fragment} in {linked.relative_to(ROOT)}")
    assert not broken, f"{doc.relative_to(ROOT)}: {broken}"


def test_the_readme_stays_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; the reference goes in docs/"


ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"
TREE_NAME_COLUMN = 26  # a tree line's description starts here; deeper lines continue the one above


def layout_tree(text: str) -> list[str]:
    """The paths docs/architecture.md's layout tree names (``feedsvc/core/db.py``, ``feedsvc/rates/read/``).

    The tree is the fenced block that starts with ``config.py``: two spaces of indent per folder level, then
    one or more names joined by ``, `` (folders end in ``/``), then two spaces and what they hold.
    """
    block = next(block for block in re.findall(r"^```\n(.*?)^```", text, re.S | re.M)
                 if block.startswith("config.py"))
    parents: list[str] = []
    paths = []
    for line in block.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        if not line.strip() or len(line) - len(line.lstrip(" ")) >= TREE_NAME_COLUMN:
            continue
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0].split(", ")
        del parents[depth:]
        paths += ["".join(parents) + name for name in names]
        if names[-1].endswith("/"):
            parents.append(names[-1])
    return paths


def test_the_layout_tree_reads_its_convention() -> None:
    tree = ("```\nconfig.py                 Config\nfeedsvc/\n  core/                   plumbing\n"
            "    db.py, dates.py       engine;\n                          sessions\n"
            "  cli.py                  CLI\n```\n")
    assert layout_tree(tree) == ["config.py", "feedsvc/", "feedsvc/core/", "feedsvc/core/db.py",
                                 "feedsvc/core/dates.py", "feedsvc/cli.py"]


def test_the_layout_tree_names_every_package_and_module_that_exists() -> None:
    named = layout_tree(ARCHITECTURE_DOC.read_text(encoding="utf-8"))
    missing_files = [path for path in named if not (ROOT / path).exists()]
    assert not missing_files, f"docs/architecture.md's layout names what does not exist: {missing_files}"
    code = [path for path in (ROOT / "feedsvc").rglob("*.py") if "migrations" not in path.parts]
    packages = {f"{path.parent.relative_to(ROOT)}/" for path in code if path.name == "__init__.py"}
    modules = {str(path.relative_to(ROOT)) for path in code if path.name != "__init__.py"}
    unnamed = sorted((packages | modules) - set(named))
    assert not unnamed, f"docs/architecture.md's layout tree does not name: {unnamed}"


OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def section(path: Path, heading: str) -> str:
    """The prose of one ``## heading`` of a Markdown file, up to the next ``## ``."""
    text = prose(path)
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def leaf_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    """Every command under ``group`` that is not itself a group, by its path (``rates update``)."""
    found: dict[str, click.Command] = {}
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        if command is None or command.hidden:
            continue
        if isinstance(command, click.Group):
            found.update(leaf_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def param_names(command: click.Command) -> list[str]:
    """How the docs name each parameter: an option by its longest flag, an argument in capitals."""
    return [max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name
            for param in command.params if not getattr(param, "hidden", False)]


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    spans = [span.replace("\\|", "|") for span in CODE_SPAN.findall(section(OPERATIONS_DOC, "CLI"))
             if span.startswith("feedsvc ")]
    missing = []
    for path, command in leaf_commands(feedsvc_cli.main).items():
        usage = " ".join(span for span in spans if f"{span} ".startswith(f"feedsvc {path} "))
        if not usage:
            missing.append(f"feedsvc {path}")
        missing += [f"feedsvc {path} {name}" for name in param_names(command)
                    if usage and not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", usage)]
    assert not missing, f"docs/operations.md#cli does not show (write `feedsvc PATH ARG --option`): {missing}"


def test_every_command_in_the_cli_reference_exists() -> None:
    commands = leaf_commands(feedsvc_cli.main)
    unknown = []
    for span in CODE_SPAN.findall(section(OPERATIONS_DOC, "CLI")):
        words = span.split()
        named = {" ".join(words[1:n]) for n in (2, 3)}
        if words[:1] == ["feedsvc"] and len(words) > 1 and not named & commands.keys():
            unknown.append(span)
    assert not unknown, f"docs/operations.md#cli names commands feedsvc does not have: {unknown}"


class AskedEnvironment(dict):
    """An empty environment that notes each variable asked of it, and whether it was listed whole."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()
        self.listed = False

    def get(self, key: str, default: object = None) -> object:
        self.asked.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def items(self):  # noqa: ANN201 - dict's own signature
        self.listed = True
        return super().items()


def test_every_variable_config_reads_is_in_the_configuration_table() -> None:
    environment = AskedEnvironment()
    config.Config(environment)
    read = set(environment.asked)
    if environment.listed:  # the per-source settings, read by their pattern
        read |= {config.source_variable("<name>", suffix) for suffix in ("URL", "CRON")}
    table = set(re.findall(r"^\| `([A-Z0-9_<>]+)` \|", section(OPERATIONS_DOC, "Configuration"), re.M))
    assert read - table == set(), "variables missing from docs/operations.md#configuration"
    assert table - read == set(), "docs/operations.md#configuration lists variables config.py never reads"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_module_path_named_in_the_docs_exists(doc: Path) -> None:
    # Written from the repository (`tests/conftest.py`, `feedsvc/core/db.py`) or from feedsvc/ (`core/db.py`).
    named = re.findall(r"`([\w.-]+(?:/[\w.-]+)+\.py)`", doc.read_text(encoding="utf-8"))
    gone = [path for path in named if not ((ROOT / path).exists() or (ROOT / "feedsvc" / path).exists())]
    assert not gone, f"{doc.relative_to(ROOT)} names modules that do not exist: {gone}"
