"""OPML 2.0 subscription list: one outline per feed, so a reader can subscribe to all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring  # noqa: S405 - we build XML, never parse

DOCS = "http://opml.org/spec2.opml"


@dataclass(frozen=True)
class Outline:
    """One feed to subscribe to: its name, feed URL and web page URL (absolute)."""

    text: str
    xml_url: str
    html_url: str


def render_opml(title: str, owner_url: str, outlines: Sequence[Outline]) -> bytes:
    """OPML 2.0 bytes listing ``outlines`` in order."""
    opml = Element("opml", version="2.0")
    head = SubElement(opml, "head")
    SubElement(head, "title").text = title
    SubElement(head, "ownerId").text = owner_url
    SubElement(head, "docs").text = DOCS
    body = SubElement(opml, "body")
    for outline in outlines:
        SubElement(
            body, "outline", type="rss", version="RSS2", text=outline.text, title=outline.text,
            xmlUrl=outline.xml_url, htmlUrl=outline.html_url,
        )
    return tostring(opml, encoding="utf-8", xml_declaration=True)
