"""The one date style of pages and embeds: ``3 December 2026``, in ``<time datetime="ISO">``."""

from __future__ import annotations

from datetime import date

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
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), long_date(value))
