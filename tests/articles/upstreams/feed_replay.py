"""A desk's feed served with validators, from tests/fixtures/feeds/ (a WordPress RSS 2.0 feed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from werkzeug import Request, Response

RSS = (Path(__file__).resolve().parents[2] / "fixtures" / "feeds" / "wordpress-rss2.xml").read_text()
LAST_MODIFIED = "Tue, 06 Jan 2026 09:12:44 GMT"
FEED = ("--kind", "feed", "--map", "category:kazakhstan=kazakhstan",
        "--map", "category:kyrgyzstan=kyrgyzstan")


class FeedServer:
    """A desk's feed with validators: a 304 when the client's ETag is current."""

    def __init__(self, body: str, content_type: str = "application/rss+xml; charset=UTF-8") -> None:
        self.body, self.content_type, self.requests = body, content_type, []

    def __call__(self, environ: dict, start_response):
        request = Request(environ)
        self.requests.append(request.headers.get("If-None-Match"))
        etag = hashlib.sha256(self.body.encode()).hexdigest()[:16]
        if request.headers.get("If-None-Match") == f'"{etag}"':
            response = Response(status=304, headers={"ETag": f'"{etag}"'})
        else:
            response = Response(self.body, content_type=self.content_type,
                                headers={"ETag": f'"{etag}"', "Last-Modified": LAST_MODIFIED})
        return response(environ, start_response)
