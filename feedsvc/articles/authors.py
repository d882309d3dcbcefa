"""An article's author as stored (``Economy desk <economy@example.org>``) split for display and feeds."""

from __future__ import annotations

import re
from typing import NamedTuple

_EMAIL = r"[^\s<>()\[\]\"@,;]+@[^\s<>()\[\]\"@,;]+\.[^\s<>()\[\]\"@,;]+"
_NAME_ADDR = re.compile(rf'\s*"?(?P<name>[^<>"]*?)"?\s*<(?P<email>{_EMAIL})>\s*')
_ADDR = re.compile(_EMAIL)
_LEFTOVER = re.compile(r"[<>()\[\],;\s]+")


class Author(NamedTuple):
    """A byline: the name to show, and the e-mail address if the author gave one."""

    name: str
    email: str | None


def split_author(author: str | None) -> Author | None:
    """``Name <addr>`` → (Name, addr); a bare ``addr`` → (its local part, addr); else the text, no address.

    Stored authors stay as given; only their output is split, so no format shows an address inside a name
    (the W3C Feed Validator's ``ContainsEmail``) and pages show the name alone.
    """
    text = (author or "").strip()
    if not text:
        return None
    if match := _NAME_ADDR.fullmatch(text):
        email = match["email"]
        return Author(match["name"].strip() or email.split("@", 1)[0], email)
    addresses = _ADDR.findall(text)
    if not addresses:
        return Author(text, None)
    # Anything else holding an address ("a@b.org, c@d.org", "Ann <a@b.org> (desk)"): the words around it.
    name = " ".join(_LEFTOVER.sub(" ", _ADDR.sub(" ", text)).split())
    return Author(name or addresses[0].split("@", 1)[0], addresses[0])
