"""A WordPress site's REST API replayed from WordPress's own generated fixtures (tests/fixtures/wordpress/).

``WordPressReplay`` is a WSGI app: serve it with ``tests/servers.serve``. Its posts are copies of the
fixture post; ``/wp-json/wp/v2/posts`` answers as WordPress does: published posts only (a scheduled,
trashed or draft one is never listed), ``orderby=modified``, ``order``, ``modified_after`` (strictly after,
compared with the local ``modified``), ``include``, ``_fields=id``, ``per_page`` up to 100, ``page`` (400
``rest_post_invalid_page_number`` past the last), ``_embed``, and ``X-WP-Total`` / ``X-WP-TotalPages``.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # the replayed posts are dated from here on
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wordpress"
POSTS_PATH = "/wp-json/wp/v2/posts"


def fixture(name: str) -> Any:
    """One fixture file, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


POST = fixture("posts-collection.json")[0]
MEDIA = fixture("media-model.json")
USER = fixture("user-model.json")
UNCATEGORIZED = fixture("categories-collection.json")[0]
TAG = fixture("tags-collection.json")[0]
YOUTUBE_IFRAME = fixture("oembed-proxy.json")["html"]


def term(template: dict[str, Any], number: int, slug: str, name: str) -> dict[str, Any]:
    """A category or tag like the fixture's, with its own id, slug and name."""
    made = copy.deepcopy(template)
    made.update(id=number, slug=slug, name=name, link=f"http://example.org/?{slug}")
    return made


CATEGORIES = {slug: term(UNCATEGORIZED, number, slug, slug.title()) for number, slug in
              enumerate(("kazakhstan", "kyrgyzstan", "tajikistan", "culture"), start=20)}
CATEGORIES["uncategorized"] = UNCATEGORIZED


@dataclass
class WordPressReplay:
    """A replayed WordPress site: its posts, and every request it was asked (path and query)."""

    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    modified_after: bool = True  # False: a site older than WordPress 5.7, which ignores the parameter
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_post(self, number: int, when: datetime, *, title: str | None = None,
                 categories: tuple[str, ...] = ("kazakhstan",), tags: bool = True, image: bool = True,
                 content: str | None = None, status: str = "publish") -> dict[str, Any]:
        """A copy of the fixture post: id ``number``, published and modified at ``when`` (UTC, as local)."""
        post = copy.deepcopy(POST)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
        post.update(id=number, date=stamp, date_gmt=stamp, modified=stamp, modified_gmt=stamp, status=status,
                    slug=f"post-{number}", link=f"http://example.org/?p={number}",
                    guid={"rendered": f"http://example.org/?p={number}"},
                    featured_media=MEDIA["id"] if image else 0)
        post["title"] = {"rendered": title if title is not None else f"{POST['title']['rendered']} {number}"}
        if content is not None:
            post["content"] = {"rendered": content, "protected": False}
        post["categories"] = [CATEGORIES[slug]["id"] for slug in categories]
        post["tags"] = [TAG["id"]] if tags else []
        post["_terms"] = ([CATEGORIES[slug] for slug in categories], [TAG] if tags else [])
        self.posts[number] = post
        return post

    def edit(self, number: int, when: datetime, **fields: Any) -> None:
        """Change a post as an editor saving it at ``when`` would."""
        post = self.posts[number]
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
        post.update(modified=stamp, modified_gmt=stamp)
        for name, value in fields.items():
            post[name] = {"rendered": value, "protected": False} if name in ("title", "content") else value

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(request.full_path)
            response = self.answer(request)
        return response(environ, start_response)

    def answer(self, request: Request) -> Response:
        """What WordPress answers to a posts collection request."""
        if request.path != POSTS_PATH:
            return _json({"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}},
                         404)
        args = request.args
        posts = [post for post in self.posts.values() if post["status"] == "publish"]
        if args.get("include"):
            wanted = {int(part) for part in args["include"].split(",")}
            posts = [post for post in posts if post["id"] in wanted]
        if args.get("modified_after") and self.modified_after:
            after = args["modified_after"]
            posts = [post for post in posts if post["modified"] > after]
        if args.get("orderby") == "modified":
            posts.sort(key=lambda post: (post["modified"], post["id"]), reverse=args.get("order") != "asc")
        else:
            posts.sort(key=lambda post: (post["date"], post["id"]), reverse=True)
        per_page, page = int(args.get("per_page", 10)), int(args.get("page", 1))
        pages = -(-len(posts) // per_page)
        if page > max(pages, 1):
            return _json({"code": "rest_post_invalid_page_number", "message": "The page number requested is "
                          "larger than the number of pages available.", "data": {"status": 400}}, 400)
        chosen = posts[(page - 1) * per_page:page * per_page]
        if args.get("_fields") == "id":
            body = [{"id": post["id"]} for post in chosen]
        else:
            body = [self.render(post, "_embed" in args) for post in chosen]
        return _json(body, 200, {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(pages)})

    @staticmethod
    def render(post: dict[str, Any], embed: bool) -> dict[str, Any]:
        """The post as the API writes it, with ``_embedded`` when asked."""
        shown = {key: value for key, value in post.items() if key != "_terms"}
        if embed:
            media = copy.deepcopy(MEDIA)
            media.update(media_details={"width": 1200, "height": 675, "file": "2017/02/canola.jpg"},
                         alt_text="A field of canola in flower")
            categories, tags = post["_terms"]
            shown["_embedded"] = {"author": [USER], "wp:term": [categories, tags]}
            if post["featured_media"]:
                shown["_embedded"]["wp:featuredmedia"] = [media]
        return shown


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json; charset=UTF-8")


def site(count: int, start: datetime, step: timedelta = timedelta(minutes=1)) -> WordPressReplay:
    """A replayed site with ``count`` published posts in Kazakhstan, one every ``step`` from ``start``."""
    replay = WordPressReplay()
    for number in range(1, count + 1):
        replay.add_post(100 + number, start + step * number)
    return replay
