"""Cleaning of article fields at write time: plain text, sanitised HTML, absolute URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

# What XML 1.0 forbids, C1 controls, surrogates (lone ones arrive through JSON escapes)
# and the noncharacters.
_ILLEGAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
_SPACE = re.compile(r"\s+")

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
URL_ATTRIBUTES = {("a", "href"), ("img", "src")}


def remove_illegal(text: str) -> str:
    """Drop characters that XML 1.0 forbids, C1 controls, surrogates and noncharacters."""
    return _ILLEGAL.sub("", text)


def clean_text(value: str) -> str:
    """Plain text: markup removed, entities decoded, illegal characters dropped, spaces collapsed."""
    stripped = nh3.clean(remove_illegal(value), tags=set(), attributes={})
    return _SPACE.sub(" ", remove_illegal(html.unescape(stripped))).strip()


def clean_html(value: str, base_url: str | None) -> str:
    """Sanitise HTML with an allowlist; make relative links absolute against ``base_url``."""

    def absolutise(tag: str, attribute: str, url: str) -> str | None:
        if (tag, attribute) not in URL_ATTRIBUTES:
            return url
        if urlsplit(url).scheme:
            return url
        # Relative URLs break in feed readers; without a base we can't resolve them.
        return urljoin(base_url, url) if base_url else None

    return nh3.clean(
        remove_illegal(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=absolutise,
    ).strip()


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
