"""Embeds kept through cleaning: iframes of FEEDSVC_EMBED_HOSTS, sandboxed, lazy and sized, everywhere."""

from __future__ import annotations

import feedparser
import pytest

from feedsvc.articles.clean import ALLOWED_TAGS, clean_html
from feedsvc.articles.embeds import DEFAULT_HOSTS, allowed_src, removed_elements

YOUTUBE = ('<iframe title="Tram" width="640" height="360" src="https://www.youtube.com/embed/i_cVJgIz_Cs?'
           'feature=oembed" frameborder="0" allowfullscreen></iframe>')
KEPT = ('<iframe src="https://www.youtube-nocookie.com/embed/i_cVJgIz_Cs?feature=oembed" title="Tram" '
        'width="640" height="360" allowfullscreen="" sandbox="allow-scripts allow-same-origin allow-popups '
        'allow-popups-to-escape-sandbox allow-presentation" allow="fullscreen; picture-in-picture" '
        'referrerpolicy="strict-origin-when-cross-origin" loading="lazy"></iframe>')


@pytest.mark.parametrize(("src", "kept"), [
    ("https://www.youtube-nocookie.com/embed/abc", "https://www.youtube-nocookie.com/embed/abc"),
    ("//www.youtube.com/embed/abc?start=5", "https://www.youtube-nocookie.com/embed/abc?start=5"),
    ("https://player.vimeo.com/video/76979871?h=8272103f6e", "https://player.vimeo.com/video/76979871?h=8272103f6e"),
    ("https://platform.twitter.com/embed/Tweet.html?id=20", "https://platform.twitter.com/embed/Tweet.html?id=20"),
    ("https://t.me/durov/43?embed=1", "https://t.me/durov/43?embed=1"),
    ("http://player.vimeo.com/video/1", None),  # not https
    ("https://www.youtube.com/watch?v=abc", None),  # a page, not the player
    ("https://evil.example/?https://player.vimeo.com/", None),
    ("https://player.vimeo.com.evil.example/video/1", None),
    ("https://user@player.vimeo.com/video/1", None),
    ("https://player.vimeo.com:8443/video/1", None),
    ("javascript:alert(1)", None),
])
def test_only_the_allowed_players_may_be_framed(src: str, kept: str | None) -> None:
    assert allowed_src(src, DEFAULT_HOSTS) == kept


def test_a_kept_frame_is_sandboxed_lazy_and_sized_and_the_rest_removed() -> None:
    html = (f"<p>Watch</p>{YOUTUBE}<iframe src=\"https://www.facebook.com/plugins/video.php\"></iframe>"
            "<iframe src=\"https://player.vimeo.com/video/1\" onload=\"steal()\">fallback text</iframe>"
            "<iframe>no source</iframe>")
    cleaned = clean_html(html, None)
    assert cleaned.startswith(f"<p>Watch</p>{KEPT}")
    assert 'src="https://player.vimeo.com/video/1"' in cleaned and 'width="560" height="315"' in cleaned
    assert "facebook" not in cleaned and "steal" not in cleaned and "fallback" not in cleaned
    assert "no source" not in cleaned and cleaned.count("<iframe") == 2
    assert clean_html(html, None) == cleaned  # the same bytes every time: a sync compares them
    assert removed_elements(html, ALLOWED_TAGS, DEFAULT_HOSTS) == (
        "iframe from www.facebook.com, iframe without src")


def test_the_api_keeps_embeds_and_pages_and_feeds_show_them(client, create) -> None:
    article = create(content_html=f"<p>Watch</p>{YOUTUBE}<script>x()</script>")
    assert article["content_html"] == f"<p>Watch</p>{KEPT}"
    page = client.get(f"/articles/{article['id']}/x", follow_redirects=True)
    assert KEPT in page.get_data(as_text=True)
    assert "frame-src 'self' https://youtube-nocookie.com https://*.youtube-nocookie.com" in page.headers[
        "Content-Security-Policy"]
    rss = feedparser.parse(client.get("/feeds/kazakhstan.rss").data, sanitize_html=False)
    assert rss.bozo == 0 and "youtube-nocookie.com/embed/i_cVJgIz_Cs" in rss.entries[0].content[0].value


def test_no_embed_hosts_removes_every_frame(app_factory) -> None:
    app = app_factory(EMBED_HOSTS=())
    with app.app_context():
        assert clean_html(f"<p>a</p>{YOUTUBE}", None) == "<p>a</p>"
    assert "frame-src" not in app.test_client().get("/").headers["Content-Security-Policy"]
