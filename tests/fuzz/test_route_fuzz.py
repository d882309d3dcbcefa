"""Hypothesis sends arbitrary requests to every route: none may answer 5xx, hang or log a traceback.

Routes come from ``app.url_map``, so a new route is fuzzed without touching this file. Deterministic by
default (CI); ``FEEDSVC_FUZZ=long`` runs twenty times more examples from a random seed, and shrinks.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from fuzz_checks import DemoSite, check_answer, logged_errors, send
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

LONG = os.environ.get("FEEDSVC_FUZZ") == "long"
EXAMPLES = 1500 * (20 if LONG else 1)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not LONG,
    database=None,
    deadline=None,  # each request is timed by send() itself, body included
    # CI keeps its time bounded: the first failing request is reported as generated, not shrunk.
    phases=list(Phase) if LONG else [Phase.explicit, Phase.generate],
    print_blob=LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ── values ──────────────────────────────────────────────────────────────────────────────────────────────
HOSTILE = ("", " ", "..", "../../config.py", "\x00", "%00", "%ff", "%", "%2e%2e%2f", "\\", "a" * 3000,
           "9" * 40, "-1", "0", "1.5", "ж", "日本語", "\u202e", "<script>alert(1)</script>", "'\"", "null")
NUMBERS = ("1", "2", "5", "20", "100", "0", "101", "-1", "1e3", " 7 ", "٣", "9" * 40)
DATES = ("2025-05-01", "2025-12-24", "2026-05-24", "0001-01-01", "0001-01-05", "9999-12-31", "1900-01-01",
         "2025-02-30", "2025-5-1", "20250501")
PAIRS = ("KZT/USD", "USD/UZS,KZT/KGS", "KGS/USD,KZT/USD", "kzt/usd", "KZT/KZT", "XXX/USD", ",",
         "KZT/USD," * 50)
QUERY_VALUES = {
    "limit": NUMBERS, "page": NUMBERS, "per_page": NUMBERS,
    "tag": ("economy", "transport", "Water", "a" * 65, "-x-", "two words"),
    "q": ("almaty", "a", "metro rail", "%", "_", "'", "a" * 201),
    "country": ("kazakhstan", "KZ", "kz", "all", "mars"),
    "from": DATES, "to": DATES, "pairs": PAIRS, "pair": PAIRS,
    "source": ("nbk", "currency-api", "peg", "nope"),
    "layout": ("long", "wide", "WIDE", "tall"),
    "group": ("day", "week", "month", "year", "YEAR", "fortnight", ""),
    "theme": ("light", "dark", "auto", "neon"),
}
HOSTILE_NAMES = ("_method", "_external", "_scheme", "_anchor", "endpoint", "fmt", "utm_source", "article_id",
                 "filename", "", "a" * 300, "\x00", "ж")
# The names each endpoint reads; a route missing here gets every known name.
ENDPOINT_PARAMS = {
    "api.Articles": ("country", "tag", "q", "page", "per_page"),
    "feeds.get_feed": ("limit", "tag"),
    "rates.get_rates_csv": ("from", "to", "pairs", "source", "layout", "group"),
    "rates.get_rates_json": ("from", "to", "pairs", "source", "group"),
    "rates.get_rates_ndjson": ("from", "to", "pairs", "source", "group"),
    "rates.get_latest_rates": ("pairs", "source"),
    "rates_page.show_rates": ("pairs", "pair", "from", "to"),
    "embed.show_builder": ("country", "tag", "limit", "theme"),
    "embed.show_rates_frame": ("pairs", "theme"),
    "embed.show_headlines_frame": ("limit", "theme", "tag"),
    "web.show_country": ("page", "per_page"),
    "web.search": ("q", "country", "page", "per_page"),
}
RAW_QUERIES = ("", "&", "&&=&", "=x", "a", "%", "%zz=1", "a=1;b=2", "+=+", "limit=5&limit=6", "page=2&page=")
READS = ("GET", "HEAD")
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "BREW", "get",
                 "")

HOSTS = ("localhost", "example.org", "example.org:8080", "a" * 3000, "bad host", "<script>",
         "example.org:99999", "example.org:-1", "example.org:abc", "xn--", "xn--80ak6aa92e.com", "a..b",
         "[::1]", "[::1", "ж.рф", "", "localhost:", ".")
HTTP_DATES = ("garbage", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
              "Mon, 01 Jan 0001 00:00:00 GMT", "0", "99999999999999999999", "Sun, 06 Nov 1994 08:49:37 GMT")
HEADER_VALUES = {
    "If-None-Match": ("*", '"abc"', 'W/"x"', "garbage", '"', '""', ", ,", "a" * 3000),
    "If-Modified-Since": HTTP_DATES, "If-Unmodified-Since": HTTP_DATES, "If-Range": HTTP_DATES,
    "If-Match": ("*", '"abc"', "garbage"),
    "Range": ("bytes=0-0", "bytes=-1", "bytes=9999999999-", "bytes=5-1", "junk"),
    "Accept": ("*/*", "application/json", "text/html", "text/html;q=abc", "garbage", "text/csv",
               "application/x-ndjson", "text/*;q=0.1, application/x-ndjson;q=0.9"),
    "X-Forwarded-For": ("1.2.3.4", "junk", "<script>", "1.2.3.4, 5.6.7.8", "a" * 3000),
    "X-Forwarded-Proto": ("https", "javascript", "http, https", "ж"),
    "X-Forwarded-Host": ("example.org", "evil.org, example.org", "<script>", "a" * 3000),
    "Content-Type": ("application/json", "application/json; charset=latin-1", "text/plain",
                     "multipart/form-data", "multipart/form-data; boundary=x",
                     "application/x-www-form-urlencoded", "junk", ""),
}
JUNK_BODIES = (b"", b"{", b"[]", b"null", b"1e999999", b'{"title": "\\ud800"}', b"[" * 10_000,
               b'{"title": NaN}', b"\xff\xfe", b"a" * (1024 * 1024 + 1))
SOURCE_URLS = ("https://example.org/a", "javascript:alert(1)", "http://\x00", "/relative", "http://[::1")


def hostile_text() -> st.SearchStrategy[str]:
    """Strings that break parsers: a fixed list and anything Hypothesis finds."""
    return st.sampled_from(HOSTILE) | st.text(max_size=30)


def mostly(valid: Sequence[str]) -> st.SearchStrategy[str]:
    """One of ``valid`` two times in three, else a hostile string."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), hostile_text())


def on_the_wire(value: str) -> str:
    """A header value as a WSGI server hands it over: its UTF-8 bytes read as Latin-1, on one line."""
    return value.encode("utf-8").decode("latin-1").replace("\r", " ").replace("\n", " ")


# ── requests ───────────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class FuzzRequest:
    """One request to send, and the route it was made for."""

    rule: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


def path_values(name: str, site: DemoSite) -> st.SearchStrategy[str]:
    """Values of one path variable: valid ones (existing countries, articles, files) and hostile ones."""
    countries = site.app.config["COUNTRIES"]
    valid = {
        "country": [*(c.slug for c in countries), *(c.code.upper() for c in countries), "all", "ALL",
                    "Kazakhstan"],
        "fmt": ["rss", "atom", "json", "RSS", "xml"],
        "article_id": [str(i) for i in site.article_ids] + ["0", "2147483647", "2147483648", "9" * 30],
        "slug": [*site.article_slugs, "an-old-title"],
        "filename": ["site.css", "headlines.js", "rates.js", "embed.css", "builder.js", "nope.css"],
    }.get(name)
    return mostly(valid) if valid else hostile_text()


def paths(rule: Rule, site: DemoSite) -> st.SearchStrategy[str]:
    """The rule's path with each variable filled in (percent signs kept, so ``%00`` arrives as a NUL)."""
    parts = re.split(r"<(?:[^<>:]+:)?([^<>]+)>", rule.rule)  # literal, name, literal, name, ...
    pieces = [st.just(part) if i % 2 == 0 else path_values(part, site).map(lambda v: quote(v, safe="%"))
              for i, part in enumerate(parts)]
    return st.tuples(*pieces).map("".join)


def query_pairs(names: Sequence[str]) -> st.SearchStrategy[tuple[str, str]]:
    """A name and a value: mostly one of ``names`` with its kind of value, else any known or hostile name."""

    def named(choices: Sequence[str]) -> st.SearchStrategy[tuple[str, str]]:
        return st.one_of(*(st.tuples(st.just(name), mostly(QUERY_VALUES[name])) for name in choices))

    hostile = st.tuples(st.sampled_from(HOSTILE_NAMES) | st.text(max_size=10), hostile_text())
    return st.one_of(named(names), named(names), named(sorted(QUERY_VALUES)), hostile)


def query_strings(names: Sequence[str]) -> st.SearchStrategy[str]:
    """A query string of a few pairs (names may repeat), sometimes followed by raw junk."""
    encoded = st.lists(query_pairs(names), max_size=4).map(
        lambda pairs: "&".join(f"{quote(k, safe='%')}={quote(v, safe='%')}" for k, v in pairs))
    junk = st.just("") | st.sampled_from(RAW_QUERIES)
    return st.tuples(encoded, junk).map(lambda p: "&".join(filter(None, p)))


def headers(token: str) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """A few request headers: Host, conditional GET, Accept, forwarding, Content-Type and Authorization."""
    authorization = ("Authorization", st.sampled_from(
        (f"Bearer {token}", f"Bearer {token}", f"bearer {token}", "Bearer ", "Bearer fsv_x", "Basic YTpi",
         "Bearer " + "a" * 3000, "Bearer ж")) | hostile_text())
    choices = [("Host", st.sampled_from(HOSTS) | hostile_text()), authorization,
               *((name, st.sampled_from(values) | hostile_text()) for name, values in HEADER_VALUES.items())]
    one = st.one_of(*(st.tuples(st.just(name), values.map(on_the_wire)) for name, values in choices))
    return st.lists(one, max_size=4).map(tuple)


def bodies() -> st.SearchStrategy[bytes | None]:
    """No body, an article-like JSON object, random bytes or known junk."""
    article = st.fixed_dictionaries(
        {"title": st.text(max_size=40)},
        optional={"countries": st.lists(st.sampled_from(["kazakhstan", "KZ", "mars", 1]), max_size=3),
                  "tags": st.lists(st.text(max_size=10), max_size=3),
                  "published_at": st.sampled_from((*DATES, "2025-04-02T08:30:00Z", "garbage")),
                  "external_id": st.text(max_size=10), "content_html": st.text(max_size=50),
                  "source_url": st.sampled_from(SOURCE_URLS)})
    return st.none() | article.map(lambda d: json.dumps(d).encode()) | st.binary(max_size=100) \
        | st.sampled_from(JUNK_BODIES)


def requests(site: DemoSite, rules: list[Rule]) -> st.SearchStrategy[FuzzRequest]:
    """A request to one of ``rules``: method, path, query string, headers and maybe a body."""

    def for_rule(rule: Rule) -> st.SearchStrategy[FuzzRequest]:
        names = ENDPOINT_PARAMS.get(rule.endpoint, sorted(QUERY_VALUES))
        url = st.tuples(paths(rule, site), query_strings(names)).map(lambda p: "?".join(filter(None, p)))
        methods = st.one_of(st.sampled_from(READS), st.sampled_from(READS), st.sampled_from(OTHER_METHODS))
        return st.builds(FuzzRequest, st.just(rule.rule), methods, url, headers(site.token), bodies())

    return st.one_of(*map(for_rule, rules))


# ── the test ───────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.timeout(1800 if LONG else 300)
def test_no_request_answers_5xx_hangs_or_logs_a_traceback(demo_site: DemoSite,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """Any route, method, query, headers and body: below 500, in time, error shape kept, nothing logged."""
    rules = sorted(demo_site.app.url_map.iter_rules(), key=lambda rule: rule.rule)
    fuzzed: set[str] = set()

    @FUZZ_SETTINGS
    @given(request=requests(demo_site, rules))
    def send_one(request: FuzzRequest) -> None:
        caplog.clear()
        fuzzed.add(request.rule)
        answer = send(demo_site.client, request.method, request.url, request.headers, request.body)
        check_answer(answer, request.method)
        assert not logged_errors(caplog), f"{answer.request}: {logged_errors(caplog)}"

    send_one()
    assert fuzzed == {rule.rule for rule in rules}  # every route was reached
