"""CORS decided in one place: what other sites' scripts read answers any origin, errors and 304s too;
pages, the API and the XML feeds stay same-origin."""

from __future__ import annotations

import pytest

RANGE = "pairs=KZT/USD&from=2025-01-01&to=2025-01-31"
# Each cross-origin endpoint: a good request, and one it refuses.
CROSS_ORIGIN = {
    "/feeds/all.json": "/feeds/all.json?limit=0",
    "/feeds/kazakhstan.json": "/feeds/atlantis.json",
    f"/rates.csv?{RANGE}": "/rates.csv?from=yesterday",
    f"/rates.json?{RANGE}": "/rates.json?pairs=XXX/USD",
    f"/rates.ndjson?{RANGE}": "/rates.ndjson?x=1",
    "/rates/latest.json": "/rates/latest.json?pairs=KZT",
    "/rates/sources.json": "/rates/sources.json?x=1",
    "/rates/sources/nbk/missing.csv": "/rates/sources/atlantis/missing.csv",
    "/embed/v1/headlines.js": "/embed/v1/missing.js",
    "/embed/v1/rates.js": "/embed/v1/rates.js/more",
    "/embed/v1/frame.js": "/embed/v1/frame.json",
    "/embed/v1/options.json": "/embed/v1/options.xml",
    "/oembed?url=http://localhost/kazakhstan": "/oembed?format=json",
}
SAME_ORIGIN = ["/", "/kazakhstan", "/tags/economy", "/search?q=tax", "/articles/1", "/rates", "/embed",
               "/embed/kazakhstan", "/embed/rates", "/embed/atlantis", "/feeds/all.rss", "/feeds/all.atom",
               "/feeds/all.rss?limit=0", "/feeds.opml", "/feeds.opml?x=1", "/api/articles", "/api/countries",
               "/api/articles/1", "/healthz", "/sitemap.xml", "/robots.txt", "/nowhere"]
ANY = "Access-Control-Allow-Origin"


@pytest.mark.parametrize(("path", "refused"), CROSS_ORIGIN.items())
def test_cross_origin_endpoints_answer_any_origin_always(client, path: str, refused: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers[ANY] == "*"
    if "ETag" in response.headers:
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.headers[ANY] == "*"
    error = client.get(refused)
    assert error.status_code in (400, 404), refused
    assert error.headers[ANY] == "*" and error.get_json()["error"]["status"] == error.status_code
    not_allowed = client.post(path)
    assert not_allowed.status_code == 405 and not_allowed.headers[ANY] == "*"


def test_a_json_feed_redirect_may_be_followed_from_any_origin(client) -> None:
    response = client.get("/feeds/KZ.json")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/feeds/kazakhstan.json")
    assert response.headers[ANY] == "*"


@pytest.mark.parametrize("path", SAME_ORIGIN)
def test_pages_api_and_xml_feeds_stay_same_origin(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    assert ANY not in response.headers, (path, response.status_code)
