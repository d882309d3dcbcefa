"""Known bad requests (the hardening issue and what fuzzing found): each answers its 4xx, in time, quietly.

Every case is an anonymous request on the demo data, sent under the fuzz tests' deadline with the whole
body read. ``status=None`` means only "below 500" is obvious.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fuzz_checks import DemoSite, check_answer, logged_errors, send

from config import Config

LONG_HOST = "a" * 3000


@dataclass(frozen=True)
class Case:
    """One request and what it must answer."""

    url: str
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    location: str | None = None  # the exact Location of a redirect
    method: str = "GET"
    absent: str | None = None  # text the answer (body and Location) must not contain


CASES: dict[str, Case] = {
    # Rates: dates far out. Without ``from`` the 30-year range cap is skipped and the change lookback
    # walks windows from the first stored date to year 9999; before year 1 the date arithmetic overflows.
    "csv to=9999-12-31 (hang)": Case("/rates.csv?to=9999-12-31", 400),
    "csv to=0001-01-05 (OverflowError)": Case("/rates.csv?to=0001-01-05", 400),
    "csv from=9999-12-31": Case("/rates.csv?from=9999-12-31", 400),
    "csv from=0001-01-01": Case("/rates.csv?from=0001-01-01", 400),
    "json from=0001-01-01": Case("/rates.json?from=0001-01-01", 400),
    "json to=9999-12-31": Case("/rates.json?to=9999-12-31", 400),
    "json to=0001-01-05": Case("/rates.json?to=0001-01-05", 400),
    "json from=9999-12-31": Case("/rates.json?from=9999-12-31", 400),
    "page from=9999-12-31": Case("/rates?from=9999-12-31", 400),
    "page to=0001-01-05": Case("/rates?to=0001-01-05", 400),
    "page to=9999-12-31": Case("/rates?to=9999-12-31", 400),
    "page from=0001-01-01": Case("/rates?from=0001-01-01", 400),
    "page to=0001-01-01": Case("/rates?to=0001-01-01", 400),
    "HEAD csv to=0001-01-05": Case("/rates.csv?to=0001-01-05", 400, method="HEAD"),
    # Rates formats: group, NDJSON, Accept, the page's pairs.
    "csv group=fortnight": Case("/rates.csv?group=fortnight", 400),
    "json group empty": Case("/rates.json?group=", 400),
    "ndjson group twice": Case("/rates.ndjson?group=week&group=month", 400),
    "ndjson layout (CSV only)": Case("/rates.ndjson?layout=wide", 400),
    "ndjson to=9999-12-31": Case("/rates.ndjson?to=9999-12-31", 400),
    "ndjson from=0001-01-01": Case("/rates.ndjson?from=0001-01-01", 400),
    "json stat=mean (no such name)": Case("/rates.json?stat=mean", 400),
    "json Accept csv, bad group": Case("/rates.json?group=x", 400, (("Accept", "text/csv"),)),
    "json Accept ndjson, 30 years by week": Case("/rates.json?from=1996-01-01&to=2025-12-31&group=week", 200,
                                                 (("Accept", "application/x-ndjson"),)),
    "json Accept q=abc": Case("/rates.json?group=month", 200, (("Accept", "text/csv;q=abc"),)),
    "page pairs and pair": Case("/rates?pairs=KZT/USD&pair=KGS/USD", 400),
    "page pairs twice": Case("/rates?pairs=KZT/USD&pairs=KGS/USD", 400),
    "page pairs nine": Case("/rates?pairs=KZT/USD,KGS/USD,UZS/USD,TJS/USD,TMT/USD,USD/KZT,USD/KGS,USD/UZS,"
                            "USD/TJS", 400),
    "page pairs ,": Case("/rates?pairs=,", 400),
    "page pairs empty (a form's blank field)": Case("/rates?pairs=&from=&to=", 200),
    # Query names that are url_for's own arguments, or the view's: refused where unknown names are.
    "feed country=x": Case("/feeds/kz.rss?country=x", 400),
    "feed fmt=json": Case("/feeds/kz.rss?fmt=json", 400),
    "feed _anchor": Case("/feeds/kazakhstan.rss?_anchor=x", 400),
    "feed _method": Case("/feeds/kazakhstan.atom?_method=POST", 400),
    "feed _scheme _external": Case("/feeds/kz.json?_scheme=javascript&_external=1", 400),
    "feed ISO code redirect": Case("/feeds/KZ.rss?limit=5", 301, location="/feeds/kazakhstan.rss?limit=5"),
    "opml _scheme _external": Case("/feeds.opml?_scheme=javascript&_external=1", 400),
    "page _method (redirect)": Case("/KZ?_method=POST", 301, location="/kazakhstan"),
    "page _scheme _external (redirect)": Case("/KZ?_scheme=javascript&_external=1&page=2", 301,
                                              location="/kazakhstan?page=2"),
    "page _anchor": Case("/kazakhstan?_anchor=x", 200, absent="_anchor"),
    "search endpoint=x": Case("/search?q=a&page=2&endpoint=x", None, absent="endpoint"),
    "search _external": Case("/search?q=almaty&_external=1&_scheme=javascript", 200,
                              absent="javascript"),
    "embed _scheme _external": Case("/embed/KZ?_scheme=javascript&_external=1", 400),
    "embed rates _method": Case("/embed/rates?_method=POST", 400),
    "embed builder _anchor": Case("/embed?_anchor=x", 400),
    "rates page _method (ignored)": Case("/rates?_method=POST", 200),
    # Host headers: over-long, or not a host name. The 400 page must render itself.
    "long Host on /": Case("/", 400, (("Host", LONG_HOST),)),
    "long Host on /nope": Case("/nope", 400, (("Host", LONG_HOST),)),
    "long Host on feed": Case("/feeds/all.rss", 400, (("Host", LONG_HOST),)),
    "long Host on rates.csv": Case("/rates.csv", 400, (("Host", LONG_HOST),)),
    "long Host on embed": Case("/embed/kazakhstan", 400, (("Host", LONG_HOST),)),
    "long Host on api": Case("/api/articles", 400, (("Host", LONG_HOST),)),
    "Host xn--": Case("/", 400, (("Host", "xn--"),)),
    "Host a..b": Case("/", 400, (("Host", "a..b"),)),
    "Host a..b on feed": Case("/feeds/kazakhstan.rss", 400, (("Host", "a..b"),)),
    "Host with <script>": Case("/", 400, (("Host", "<script>alert(1)</script>"),)),
    "Host with a bad port": Case("/feeds/all.atom", 400, (("Host", "example.org:99999999"),)),
    # A name given twice: picking one would be a guess.
    "feed limit twice": Case("/feeds/kazakhstan.rss?limit=5&limit=6", 400),
    "csv from twice": Case("/rates.csv?from=2025-05-01&from=2025-05-02", 400),
    "json pairs twice": Case("/rates.json?pairs=KZT/USD&pairs=KGS/USD", 400),
    "rates page pair twice": Case("/rates?pair=KZT/USD&pair=KGS/USD", 400),
    "country page twice": Case("/kazakhstan?page=1&page=2", 400),
    "embed limit twice": Case("/embed/kazakhstan?limit=5&limit=6", 400),
    # If-Match naming another version: werkzeug's make_conditional kept the whole resource as the 412's body.
    "sources If-Match": Case("/rates/sources.json", 412, (("If-Match", '"garbage"'),)),
    "page If-Match": Case("/", 412, (("If-Match", '"garbage"'),)),
    "api If-Match": Case("/api/articles", 412, (("If-Match", '"garbage"'),)),
    "stylesheet If-Match": Case("/assets/site.css", 412, (("If-Match", '"garbage"'),)),
    "embed static If-Match": Case("/embed/static/embed.css", 412, (("If-Match", "garbage"),)),
    # NUL in a query value: PostgreSQL can't compare it.
    "feed tag NUL": Case("/feeds/kazakhstan.rss?tag=%00", 400),
    "search q NUL": Case("/search?q=a%00b", 400),
}

# Search boxes: database query syntax, stop words alone, unbalanced quotes, a pasted novel. Each reaches
# the full-text engine (FTS5 on SQLite, websearch_to_tsquery on PostgreSQL) or is refused before it.
SEARCH_INPUTS = {"stop words": "the%20and%20of", "operators only": "-%20or%20%22%22%20-",
                 "unbalanced quote": "%22ring%20line", "NEAR(": "NEAR(metro", "star": "metr*",
                 "caret": "%5Emetro",
                 "column filter": "title:metro", "exclusions only": "-metro%20-tashkent",
                 "FTS5 words": "metro%20AND%20OR%20NOT%20line", "quotes": "%22%22%22metro%22",
                 "braces": "%7Bmetro%7D%20(x", "backslash": "%5C"}
for _path in ("/search", "/api/articles", "/tags/metro"):
    for _name, _q in SEARCH_INPUTS.items():
        CASES[f"{_path} q {_name}"] = Case(f"{_path}?q={_q}", 200)
    CASES[f"{_path} q 10,000 characters"] = Case(f"{_path}?q=" + "x" * 10_000, 400)
CASES.update({  # The API's cursor: tampered, foreign, past the end, or mixed with a page or a search.
    "api after garbage": Case("/api/articles?after=%3Cscript%3E", 400),
    "api after not base64 of a cursor": Case("/api/articles?after=AAAA", 400),
    "api after id too large": Case("/api/articles?after=MS45OTk5OTk5OTk5", 400),
    "api after year 5138 (only a position)": Case("/api/articles?after=OTk5OTk5OTk5OTk5OTk5OTkuMQ", 200),
    "api after past the end": Case("/api/articles?after=NjMxMTUyMDAwMDAwMDAwLjE", 200),
    "api after and page": Case("/api/articles?after=NjMxMTUyMDAwMDAwMDAwLjE&page=2", 400),
    "api after and q": Case("/api/articles?after=NjMxMTUyMDAwMDAwMDAwLjE&q=metro", 400),
    "api after twice": Case("/api/articles?after=NjMxMTUyMDAwMDAwMDAwLjE&after=NjMxMTUyMDAwMDAwMDAwLjE", 400),
    "api page 1000000": Case("/api/articles?page=1000000", 200),
    "country page 1000000": Case("/kazakhstan?page=1000000", 404),
})


def problems_of(demo_site: DemoSite, case: Case) -> list[str]:
    """What is wrong with the answer to ``case`` (empty when it answers as it must)."""
    answer = send(demo_site.client, case.method, case.url, case.headers)
    check_answer(answer, case.method)
    problems = []
    if case.status is not None and answer.status != case.status:
        problems.append(f"status {answer.status}, expected {case.status}: {answer.body[:200]!r}")
    if case.location is not None and answer.headers.get("Location") != case.location:
        problems.append(f"Location {answer.headers.get('Location')!r}, expected {case.location!r}")
    shown = answer.body + answer.headers.get("Location", "").encode()
    if case.absent is not None and case.absent.encode() in shown:
        problems.append(f"{case.absent!r} is in the answer")
    return problems


def test_known_bad_requests(demo_site: DemoSite, caplog: pytest.LogCaptureFixture) -> None:
    """Each request is answered in time with its expected status, and nothing is logged as an error.

    One test for the whole corpus, so the demo data is loaded once per database; every failing case is named.
    """
    failures = {name: problems for name, case in CASES.items() if (problems := problems_of(demo_site, case))}
    assert not failures, failures
    assert not logged_errors(caplog)


def test_repeated_failed_token_attempts_are_limited(app_factory, caplog: pytest.LogCaptureFixture) -> None:
    """300 writes with a wrong token at the shipped default limit: the last ones get 429 + Retry-After."""
    app = app_factory(LIMIT_AUTH_FAILURES=Config({}).LIMIT_AUTH_FAILURES)
    headers = (("Authorization", "Bearer fsv_wrong"), ("Content-Type", "application/json"))
    answers = [send(app.test_client(), "POST", "/api/articles", headers, b"{}") for _ in range(300)]
    for answer in answers:
        check_answer(answer, "POST")
    assert {a.status for a in answers} == {401, 429}
    assert answers[-1].status == 429, [a.status for a in answers[-3:]]
    assert answers[-1].headers.get("Retry-After", "").isdigit(), answers[-1].headers
    assert not logged_errors(caplog)
