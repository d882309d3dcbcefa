"""Every kind of page passes the Nu HTML Checker with no error, and axe-core with no serious or critical
finding.

The tools are the project's npm devDependencies (package.json, installed by scripts/test with `npm ci`):
vnu-jar runs on Debian's Java, axe-core is injected into the pages in Debian's Chromium (light and dark).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MISSING = "run `npm ci` (scripts/test does) for the page checkers, and install Java (default-jre-headless)"
SERIOUS = ("serious", "critical")
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def page_paths(client) -> dict[str, str]:  # noqa: ANN001 - a Flask test client
    """One page of every kind, error pages and the pages other sites frame included."""
    items = client.get("/api/articles?per_page=100").get_json()["items"]
    pictured = next(item for item in items if item["image_url"])
    return {"home": "/", "country": "/kazakhstan", "article": urlsplit(pictured["url"]).path,
            "tag": "/tags/water", "search": "/search?q=water", "search-empty": "/search", "rates": "/rates",
            "rates-pairs": "/rates?pairs=KZT/USD,USD/UZS,KGS/USD", "embed": "/embed",
            "embed-ticker": "/embed?ticker=kyrgyzstan&orientation=local-first",
            "not-found": "/nowhere", "bad-request": "/kazakhstan?page=0", "gone": gone_article(client, items),
            # the pages other sites frame
            "card": f"/embed/articles/{pictured['id']}", "frame-headlines": "/embed/kazakhstan",
            "frame-rates": "/embed/rates", "frame-rates-pairs": "/embed/rates?pairs=RUB/KGS,USD/KZT"}


def gone_article(client, items) -> str:  # noqa: ANN001
    """The path of an article deleted for the test (its page answers 410)."""
    token = client.application.test_cli_runner().invoke(args=["token", "create", "checks"]).output.strip()
    victim = items[-1]
    client.delete(f"/api/articles/{victim['id']}", headers={"Authorization": f"Bearer {token}"})
    return urlsplit(victim["url"]).path


def fetch(url: str) -> str:
    """The body of a page, whatever its status."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def test_every_page_is_valid_html(demo_site, client, tmp_path) -> None:
    java = shutil.which("java")
    assert java and VNU.is_file(), MISSING
    files = []
    for name, path in page_paths(client).items():
        files.append(tmp_path / f"{name}.html")
        files[-1].write_text(fetch(demo_site + path))
    run = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, files)],
                         capture_output=True, text=True, timeout=300, check=True)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    # Errors, and warnings too (the pinned checker's advice, such as a section without a heading).
    problems = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['type']} {m['message']}"
                for m in messages if m["type"] != "info" or m.get("subType") == "warning"]
    assert len(files) == 17 and problems == []


# The pages' markup is the same on either database (the HTML check above runs on both); axe's minutes are
# spent once, on the first database under test (SQLite unless FEEDSVC_TEST_DATABASES names only PostgreSQL).
FIRST_DATABASE = os.environ.get("FEEDSVC_TEST_DATABASES", "sqlite,postgresql").split(",")[0].strip()


@pytest.mark.parametrize("db_name", [FIRST_DATABASE])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_problem(browser, demo_site, client, scheme) -> None:
    assert AXE.is_file(), MISSING
    # axe is injected as a script of the page: the site's CSP (script-src 'self') would refuse it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme,
                                  bypass_csp=True)
    page = context.new_page()
    problems = []
    for name, path in page_paths(client).items():
        page.goto(demo_site + path, wait_until="load")
        page.add_script_tag(path=str(AXE))
        problems += [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                     for v in page.evaluate(AXE_RUN) if v["impact"] in SERIOUS]
    context.close()
    assert problems == []
