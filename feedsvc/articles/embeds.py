"""Embeds kept through cleaning: iframes of the allowed providers, sandboxed, lazy and sized.

An iframe survives only when its ``src`` is an https URL on a host of ``FEEDSVC_EMBED_HOSTS`` (or a
subdomain of one). YouTube's own player (``www.youtube.com/embed/``, what WordPress's oEmbed writes) is
moved to its privacy-enhanced twin ``www.youtube-nocookie.com`` when that host is allowed. Every kept frame
gets a ``sandbox`` (scripts and popups of its own origin only, no top navigation), ``loading="lazy"``, a
referrer policy and a size (the provider's, else 560 x 315), so a page never jumps when it loads.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, has_app_context

DEFAULT_HOSTS = ("youtube-nocookie.com", "player.vimeo.com", "platform.twitter.com", "t.me")
SANDBOX = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-presentation"
FRAME_ATTRIBUTES = {"src", "width", "height", "title", "allowfullscreen"}
SET_ON_FRAMES = {"iframe": {"sandbox": SANDBOX, "loading": "lazy", "allow": "fullscreen; picture-in-picture",
                            "referrerpolicy": "strict-origin-when-cross-origin"}}
DEFAULT_SIZE = ("560", "315")
MAX_SIZE = 4000
_YOUTUBE = {"youtube.com", "www.youtube.com", "m.youtube.com"}
_UNSAFE_IN_URL = re.compile(r"[\s\"'<>`\\]")
_HAS_FRAME = re.compile(r"<iframe", re.IGNORECASE)
# nh3 escapes "<" and ">" in the attribute values it writes, so a cleaned frame's tag ends at the first ">".
_CLEANED_FRAME = re.compile(r"<iframe\b([^>]*)>.*?</iframe>", re.DOTALL)
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"')
_ORDER = ("src", "title", "width", "height", "allowfullscreen", "sandbox", "allow", "referrerpolicy",
          "loading")
# Elements whose content cleaning drops (or that embed something): what a note of removals lists. A tag
# only unwrapped (div, span, section) keeps its text and is not worth a note.
NOTED = {"applet", "audio", "button", "canvas", "embed", "form", "frame", "frameset", "iframe", "input",
         "link", "math", "meta", "noscript", "object", "picture", "script", "select", "source", "style",
         "svg", "template", "textarea", "track", "video"}
_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)")
_FRAME_SRC = re.compile(r"""<iframe\b[^>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def embed_hosts() -> tuple[str, ...]:
    """The allowed embed hosts: FEEDSVC_EMBED_HOSTS in an app, else the defaults."""
    if has_app_context():
        return tuple(current_app.config.get("EMBED_HOSTS", DEFAULT_HOSTS))
    return DEFAULT_HOSTS


def has_frame(html: str) -> bool:
    """True when ``html`` may hold an iframe (cleaning then takes the slower way that keeps embeds)."""
    return _HAS_FRAME.search(html) is not None


def allowed_src(value: str, hosts: Collection[str]) -> str | None:
    """The https URL a frame may load (YouTube moved to youtube-nocookie), or None to drop the frame."""
    if _UNSAFE_IN_URL.search(value):
        return None
    parts = urlsplit("https:" + value if value.startswith("//") else value)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or parts.port not in (None, 443):
        return None
    if host in _YOUTUBE and parts.path.startswith("/embed/") and _allowed("www.youtube-nocookie.com", hosts):
        host = "www.youtube-nocookie.com"
    if not _allowed(host, hosts):
        return None
    return urlunsplit(("https", host, parts.path, parts.query, ""))


def _allowed(host: str, hosts: Collection[str]) -> bool:
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def frame_filter(hosts: Collection[str]) -> Callable[[str, str, str], str | None]:
    """nh3's attribute filter: a frame's src checked against ``hosts``, its size whole pixels."""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element != "iframe":
            return value
        if attribute == "src":
            return allowed_src(value, hosts)
        if attribute in ("width", "height"):
            return value if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_SIZE else None
        return value

    return keep


def finish_frames(cleaned: str) -> str:
    """Drop the frames whose src was refused, empty the rest and give each a size."""
    return _CLEANED_FRAME.sub(_finish_frame, cleaned)


def _finish_frame(match: re.Match[str]) -> str:
    attributes = dict(_ATTRIBUTE.findall(match[1]))
    if "src" not in attributes:
        return ""
    for name, default in zip(("width", "height"), DEFAULT_SIZE, strict=True):
        attributes.setdefault(name, default)
    # In a fixed order: nh3 adds the set attributes in no stable one, and the same input must give the
    # same bytes (a sync compares them to know whether a post changed).
    written = "".join(f' {name}="{attributes[name]}"' for name in _ORDER if name in attributes)
    return f"<iframe{written}></iframe>"


def removed_elements(raw: str, allowed_tags: Collection[str], hosts: Collection[str]) -> str | None:
    """What cleaning drops from ``raw``: elements by name and count, refused frames by host; or None."""
    names = Counter(name.lower() for name in _TAG.findall(raw))
    removed = [f"{name} x{count}" if count > 1 else name
               for name, count in sorted(names.items())
               if name in NOTED and name not in allowed_tags and name != "iframe"]
    refused: Counter[str] = Counter()
    for src in _FRAME_SRC.findall(raw):
        if allowed_src(src, hosts) is None:
            refused[urlsplit("https:" + src if src.startswith("//") else src).hostname or src[:60]] += 1
    removed += [f"iframe from {host}" + (f" x{count}" if count > 1 else "")
                for host, count in sorted(refused.items())]
    frames_without_src = names.get("iframe", 0) - len(_FRAME_SRC.findall(raw))
    if frames_without_src > 0:
        removed.append("iframe without src" + (f" x{frames_without_src}" if frames_without_src > 1 else ""))
    return ", ".join(removed) or None
