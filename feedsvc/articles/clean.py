"""Cleaning of article fields at write time: plain text, sanitised HTML, absolute URLs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import nh3
from marshmallow import ValidationError

from feedsvc.articles.embeds import (
    FRAME_ATTRIBUTES,
    SET_ON_FRAMES,
    embed_hosts,
    finish_frames,
    frame_filter,
    has_frame,
)
from feedsvc.core.urls import is_site_path

MAX_TITLE = 300
MAX_BODY = 1024 * 1024
MAX_ALT = 500
MAX_IMAGE_SIDE = 10_000
PLAIN_TEXT_FIELDS = ("title", "summary", "image_alt")
# A link or image on this site, in sanitised HTML (nh3 writes every attribute in double quotes).
_SITE_LINK = re.compile(r'(?:href|src)="/(?![/\\])')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

# What XML 1.0 forbids, C1 controls, surrogates (lone ones arrive through JSON escapes)
# and the noncharacters. The astral noncharacters are matched as "a code point from U+1FFFE on" and then
# checked by a lookbehind: listed inside the first class they made every match 10x slower (a 2 KB body
# took 0.3 ms, the largest part of an import).
_ASTRAL_NONCHARACTERS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}"
                                for plane in range(1, 17))
_ILLEGAL_BMP = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
_ILLEGAL = re.compile(f"{_ILLEGAL_BMP}|[\U0001fffe-\U0010ffff](?<=[{_ASTRAL_NONCHARACTERS}])")
# Text without astral characters (most text) needs only the first class, which alone is scanned 2-4x as
# fast as the alternation: a body is cleaned and then turned into the search index's text, twice each.
_ILLEGAL_IN_BMP = re.compile(_ILLEGAL_BMP)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Invisible format characters that can make a plain-text field read other than it is: the bidi
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Trojan Source" reordering), the
# zero-width space, word joiner and no-break space (U+200B, U+2060, U+FEFF), the Mongolian vowel separator
# (U+180E, no longer a space), the invisible math operators (U+2061-U+2064), the deprecated format
# characters (U+206A-U+206F), interlinear annotation (U+FFF9-U+FFFB) and the language tag (U+E0001).
# Kept, because scripts need them: ZWNJ and ZWJ (U+200C, U+200D: Persian, Indic scripts, emoji), the
# direction marks LRM, RLM and ALM (U+200E, U+200F, U+061C: they place punctuation in mixed-direction
# text and cannot reorder letters), the soft hyphen and the tag characters of flag emoji (U+E0020-U+E007F).
_INVISIBLE = re.compile("[\u180e\u200b\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001]")
# An escaped "<" that would open a tag, element, end tag, comment or declaration, and the "&gt;" closing it.
_TAG_LIKE = re.compile(r"&lt;(?=[A-Za-z/!?])((?:(?!&lt;|&gt;).)*)(&gt;)?", re.DOTALL)
_LT, _GT = "\x00", "\x01"  # placeholders: remove_illegal has taken these out of the text already
_ANGLE_ADDRESS = re.compile(r"(<[^<>\s@]+@[^<>\s@]+>)")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "em", "figcaption",
    "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q",
    "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}


def remove_illegal(text: str) -> str:
    """Drop characters that XML 1.0 forbids, C1 controls, surrogates and noncharacters."""
    return _illegal_in(text).sub("", text)


def remove_invisible(text: str) -> str:
    """Drop the invisible format characters listed at ``_INVISIBLE`` (bidi overrides and the like)."""
    return _INVISIBLE.sub("", text)


def has_invisible(text: str) -> bool:
    """True when ``text`` holds a character that :func:`remove_invisible` would drop."""
    return _INVISIBLE.search(text) is not None


def has_illegal(text: str) -> bool:
    """True when ``text`` holds a character that :func:`remove_illegal` would drop."""
    return _illegal_in(text).search(text) is not None


def _illegal_in(text: str) -> re.Pattern[str]:
    """The pattern of illegal characters for ``text``: the faster one unless it holds astral characters."""
    return _ILLEGAL_IN_BMP if text.isascii() or _ASTRAL.search(text) is None else _ILLEGAL


def collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at the ends."""
    # str.split() takes the same whitespace as re's \s (str.isspace), at a third of re.sub's cost.
    return " ".join(text.split())


def clean_text(value: str) -> str:
    """Plain text: markup and invisible format characters removed, entities decoded once, spaces collapsed.

    An editor who types ``&lt;script&gt;`` means those characters, not a tag: decoded, they would be
    markup in every reader that takes an RSS title for HTML, so such an ``&lt;`` (and the ``&gt;``
    closing it) stays as typed. Everything else decodes (``&amp;`` → ``&``, ``&#8217;`` → ``’``), so
    WordPress-style titles read right and outputs escape them exactly once.
    """
    if "<" not in value and "&" not in value:  # no markup and no entity: nothing for nh3 to do
        return collapse_spaces(remove_invisible(remove_illegal(value)))
    stripped = nh3.clean(remove_illegal(value), tags=set(), attributes={})
    # nh3 re-escapes the text it keeps (& < >). A "<" followed by a tag's first character can only come
    # from an entity: raw, the parser would have taken it for a tag and removed it.
    kept = _TAG_LIKE.sub(lambda m: f"{_LT}{m[1]}{_GT if m[2] else ''}", stripped)
    decoded = html.unescape(kept).replace(_LT, "&lt;").replace(_GT, "&gt;")
    return collapse_spaces(remove_invisible(remove_illegal(decoded)))


def clean_author(value: str) -> str:
    """Plain text as :func:`clean_text`, but an address in angle brackets (`Ann <ann@example.org>`) kept."""
    parts = _ANGLE_ADDRESS.split(remove_invisible(remove_illegal(value)))
    # re.split with a group: the odd items are the addresses, kept as given; the rest is text.
    text = "".join(part if index % 2 else _plain_segment(part) for index, part in enumerate(parts))
    return " ".join(text.split())


def _plain_segment(text: str) -> str:
    # clean_text strips the ends; keep a space there so "Name <addr>" stays two words.
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return f"{lead}{clean_text(text)}{trail}"


def clean_html(value: str, base_url: str | None) -> str:
    """Sanitise HTML with an allowlist; make relative links absolute against ``base_url``.

    Without a base, a path on this site (``/kazakhstan``, ``/assets/map.png``) is kept as written and
    made absolute on output (:func:`absolute_links`), on whatever address the site is served; other
    relative links and images are dropped, since nothing says what they are relative to. Iframes of the
    allowed embed providers are kept, sandboxed, lazy and sized (feedsvc/articles/embeds.py); every other
    iframe is removed.
    """
    with_base = bool(base_url and is_http_url(base_url))
    frames = has_frame(value)
    # nh3 rewrites relative URLs itself (in Rust): a Python filter per attribute cost a third of the time,
    # so only a body with an iframe, or one without a base, takes the way with a filter.
    filters = [] if with_base else [_keep_site_paths]
    options: dict[str, Any] = {"tags": ALLOWED_TAGS, "attributes": ALLOWED_ATTRIBUTES}
    if frames:
        options = {"tags": ALLOWED_TAGS | {"iframe"},
                   "attributes": {**ALLOWED_ATTRIBUTES, "iframe": FRAME_ATTRIBUTES},
                   "set_tag_attribute_values": SET_ON_FRAMES}
        filters.append(frame_filter(embed_hosts()))
    if filters:
        options["attribute_filter"] = _all_of(filters)
    cleaned = _sanitise(value, ("rewrite_with_base", base_url) if with_base else "pass_through", options)
    cleaned = finish_frames(cleaned) if frames else cleaned
    # nh3 writes a numeric reference out as its character: "&#1;" would put a control character in a feed.
    return remove_illegal(cleaned).strip() if "&#" in value else cleaned


def _sanitise(value: str, relative: Any, options: dict[str, Any]) -> str:
    return nh3.clean(
        remove_illegal(value),
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        url_relative=relative,
        **options,
    ).strip()


def _all_of(filters: list[Callable[[str, str, str], str | None]]) -> Callable[[str, str, str], str | None]:
    """One nh3 attribute filter from several: each must keep the value (and may change it)."""
    def keep(element: str, attribute: str, value: str) -> str | None:
        for check in filters:
            kept = check(element, attribute, value)
            if kept is None:
                return None
            value = kept
        return value

    return keep


# A tag with its attributes; quoted values may hold ">" (nh3 escapes "<" and "&" in them, not ">").
_HTML_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")


def html_to_text(value: str) -> str:
    """The words of sanitised HTML, for the search index: tags become spaces, entities are decoded."""
    return collapse_spaces(remove_illegal(html.unescape(_HTML_TAG.sub(" ", value))))


def _keep_site_paths(element: str, attribute: str, value: str) -> str | None:
    """Without a base: URLs with a scheme (nh3 checks which) and site paths, no other relative one.

    An iframe's src is the embed filter's to decide.
    """
    if element == "iframe" or attribute not in ("href", "src") or _SCHEME.match(value) or is_site_path(value):
        return value
    return None


def absolute_links(html: str, root: str) -> str:
    """Stored HTML as readers get it: its links and images on this site made absolute on ``root``.

    ``root`` is the site's public root (``https://news.example.org/``); HTML without such links is
    returned as it is, without a second pass of the sanitiser.
    """
    if not html or not _SITE_LINK.search(html):
        return html
    options: dict[str, Any] = {"tags": ALLOWED_TAGS, "attributes": ALLOWED_ATTRIBUTES}
    if has_frame(html):  # frames kept when the body was cleaned: keep them as they are
        options = {"tags": ALLOWED_TAGS | {"iframe"},
                   "attributes": {**ALLOWED_ATTRIBUTES, "iframe": FRAME_ATTRIBUTES},
                   "set_tag_attribute_values": SET_ON_FRAMES}
    return _sanitise(html, ("rewrite_with_root", root, ""), options)


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def clean_article_fields(data: Mapping[str, Any], base_url: str | None) -> dict[str, Any]:
    """Clean the given article fields; raise ValidationError for what cleaning leaves invalid."""
    clean: dict[str, Any] = dict(data)
    errors: dict[str, list[str]] = {}
    for name in PLAIN_TEXT_FIELDS:
        if clean.get(name) is not None:
            clean[name] = clean_text(clean[name])
    if clean.get("author") is not None:
        clean["author"] = clean_author(clean["author"]) or None
    if "image_alt" in clean:
        clean["image_alt"] = clean["image_alt"] or None
    if "title" in clean:
        if not clean["title"]:
            errors["title"] = ["must contain text"]
        elif len(clean["title"]) > MAX_TITLE:
            errors["title"] = [f"longer than {MAX_TITLE} characters"]
    if clean.get("content_html") is not None:
        if len(clean["content_html"].encode("utf-8", "surrogatepass")) > MAX_BODY:
            errors["content_html"] = ["longer than 1 MB"]
        else:
            clean["content_html"] = clean_html(clean["content_html"], base_url)
    if clean.get("source_url") and not is_http_url(clean["source_url"]):
        errors["source_url"] = ["must be an absolute http or https URL"]
    image = clean.get("image_url")
    if image and not (is_http_url(image) or is_site_path(image)):
        errors["image_url"] = ["must be an absolute http or https URL, or a path on this site"]
    if errors:
        raise ValidationError(errors)
    return clean
