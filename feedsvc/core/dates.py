"""The one date style of pages and embeds: ``3 December 2026``, in ``<time datetime="ISO">``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from markupsafe import Markup

# Spelled out rather than strftime("%B"): that follows the process locale, and the site is in English.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_date(value: date) -> str:
    """The one date format: ``3 December 2026``."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def time_tag(value: date | str) -> Markup:
    """``<time datetime="ISO">3 December 2026</time>`` for a date, a datetime or an ISO date string."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return _time_element(value.isoformat(), long_date(value))


def short_date(value: date | str, today: date | None = None) -> str:
    """A date where room is short: ``29 Sep``, with the year when it is not this year's (``29 Sep 2025``)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    short = f"{value.day} {MONTHS[value.month - 1][:3]}"
    return short if value.year == (today or datetime.now(UTC).date()).year else f"{short} {value.year}"


def short_time_tag(value: date | str) -> Markup:
    """``<time datetime="ISO">29 Sep</time>``: :func:`short_date` in a time element."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return _time_element(value.isoformat(), short_date(value))


def _time_element(iso: str, shown: str) -> Markup:
    # Both are digits, English month names and ISO punctuation: nothing to escape. Markup.format's
    # escaping formatter cost 5 µs a date, and every teaser of a listing shows one.
    return Markup(f'<time datetime="{iso}">{shown}</time>')  # noqa: S704 - no markup can be in either
