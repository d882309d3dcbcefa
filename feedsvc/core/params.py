"""The query-string toolkit every hand-written parser uses: one reader per kind of value, one 400.

A parser makes a ``QueryParams`` over the request's args with the names it allows, reads each value
with a typed getter (which notes what is wrong instead of raising), then calls ``done()``: every
mistake of the query is reported at once, in one ``BadRequestParams`` with a message per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Literal, TypeVar

from feedsvc.core.errors import BadRequestParams

T = TypeVar("T")
# Tags are stored as lower-case slugs; anything else cannot exist (and NUL would upset PostgreSQL).
TAG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_TAG = 64
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters (NUL above all: PostgreSQL refuses it in text) can't match any stored text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAME_SHOWN = 64  # a hostile parameter name is cut to this in messages
# Every date the service takes lies in these bounds, so date arithmetic on it can never overflow.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


class QueryParams:
    """A query string being parsed: getters read and check one name each, ``done()`` raises one 400.

    ``unknown="ignore"`` is for HTML pages, whose shared links carry ``utm_*`` and the like; a name
    given twice is refused everywhere, since picking one of the two would be a guess.
    ``blank="absent"`` is for HTML forms, which submit their empty fields.
    """

    def __init__(self, args: Mapping[str, str], allowed: Sequence[str], *,
                 unknown: Literal["reject", "ignore"] = "reject",
                 blank: Literal["value", "absent"] = "value") -> None:
        self.args = args
        self.allowed = tuple(allowed)
        self.blank_is_absent = blank == "absent"
        self.errors: dict[str, list[str]] = {}
        if unknown == "reject":
            self._reject_unknown()
        self._reject_repeated()

    def _reject_unknown(self) -> None:
        unknown = sorted(name[:_NAME_SHOWN] for name in self.args if name not in self.allowed)
        if unknown:
            allowed = ", ".join(self.allowed) or "none"
            self.error("_unknown", f"unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")

    def _reject_repeated(self) -> None:
        getlist: Callable[[str], list[str]] | None = getattr(self.args, "getlist", None)
        repeated = sorted(name for name in self.allowed if getlist and len(getlist(name)) > 1)
        if repeated:
            self.error("_repeated", f"give {', '.join(repeated)} once")

    def error(self, name: str, message: str) -> None:
        """Note that parameter ``name`` is wrong."""
        self.errors.setdefault(name, []).append(message)

    def raw(self, name: str) -> str | None:
        """The value of ``name`` as given (stripped), or None when absent."""
        value = self.args.get(name)
        if value is None:
            return None
        value = value.strip()
        return None if value == "" and self.blank_is_absent else value

    def whole(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high`` written in ASCII digits, or ``default`` when absent."""
        value = self.raw(name)
        if value is None:
            return default
        if value.isascii() and value.isdigit() and len(value) <= len(str(high)) and low <= int(value) <= high:
            return int(value)
        self.error(name, f"must be a whole number from {low} to {high}")
        return default

    def choice(self, name: str, choices: Sequence[str], default: str) -> str:
        """One of ``choices`` (any case), or ``default`` when absent."""
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in choices:
            return value.lower()
        self.error(name, f"unknown {name} {value[:_NAME_SHOWN]!r}; allowed: {', '.join(choices)}")
        return default

    def tag(self, name: str = "tag") -> str | None:
        """A tag slug (lower-cased), or None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        value = value.lower()
        if len(value) <= MAX_TAG and TAG.fullmatch(value):
            return value
        self.error(name, f"must be a tag slug (a-z, 0-9 and -, at most {MAX_TAG} characters)")
        return None

    def day(self, name: str) -> date | None:
        """A YYYY-MM-DD calendar date from EARLIEST to LATEST, or None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse_day(value)
        except ValueError as exc:
            self.error(name, str(exc))
        return None

    def text(self, name: str, max_length: int) -> str:
        """Words of free text (whitespace collapsed), at most ``max_length`` characters; "" when absent."""
        value = " ".join((self.raw(name) or "").split())
        if len(value) > max_length:
            self.error(name, f"at most {max_length} characters")
            return ""
        if _CONTROL.search(value):
            self.error(name, "must not contain control characters")
            return ""
        return value

    def parsed(self, name: str, parse: Callable[[str | None], T], fallback: T) -> T:
        """``parse(value)`` of a parameter with a grammar of its own; its ValueError is the message."""
        try:
            return parse(self.raw(name))
        except ValueError as exc:
            self.error(name, str(exc))
            return fallback

    def done(self) -> None:
        """Raise BadRequestParams naming every mistake noted, or return when there was none."""
        if self.errors:
            raise BadRequestParams(summary(self.errors), self.errors)

    def read_all(self, read: Callable[[QueryParams], T]) -> T:
        """What ``read`` makes of these parameters, once ``done()`` found no mistake."""
        value = read(self)
        self.done()
        return value


def parse_day(value: str) -> date:
    """A YYYY-MM-DD calendar date from EARLIEST to LATEST; ValueError names what is wrong."""
    try:
        day = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{value[:_NAME_SHOWN]!r} is not a calendar date; expected YYYY-MM-DD")
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day} is out of range; dates run from {EARLIEST} to {LATEST}")
    return day


def summary(errors: Mapping[str, list[str]]) -> str:
    """One line naming each wrong parameter and what it must be."""
    return "; ".join(
        message if name.startswith("_") else f"{name}: {message}"
        for name, messages in errors.items() for message in messages
    )
