"""What the five central-bank sources share: safe XML, the USD line, exact per-unit rates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from feedsvc.rates.sources.base import NoData, Observation, Source, SourceError

# Banks publish plain decimals; Decimal() alone would also accept "NaN", "1e3" or "1_000".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
T = TypeVar("T")


class OfficialSource(Source):
    """A central bank publishing its own currency against USD in one file per day."""

    # currency-api covers every currency daily: a bank value far from it is more likely a slip upstream
    # (CBU's file of 2026-04-01 prices TMT at 4037.68 UZS, the next day's at 3469.17) than a real move,
    # so it waits for a human.
    crosscheck_reference = "currency-api"
    # The banks' servers are small and made for people reading one day at a time; a deep backfill asks
    # for thousands of days, so at most one request a second (NBKR, which drops bursts, waits 2 s).
    min_interval = 1.0

    def observe(self, day: date, value: str | None, nominal: str | None, comma: bool = False) -> Observation:
        """The observation of this source's own currency from its USD line's value and nominal."""
        return Observation(day, self.currencies[0], units_per_one(value, nominal, comma))


Field = Callable[[Element], str | None]  # reads one field of an XML element


def child(tag: str) -> Field:
    """The text of ``tag`` under an element."""
    return lambda element: element.findtext(tag)


def attribute(name: str) -> Field:
    """The attribute ``name`` of an element."""
    return lambda element: element.get(name)


@dataclass(frozen=True)
class XmlLayout:
    """Where a bank's XML file keeps its date and its lines, and where a line keeps its fields."""

    root: str
    date: Field
    date_format: str
    line: str  # the tag of one currency's line
    code: Field
    value: Field  # the bank's currency per ``nominal`` units of ``code``
    nominal: Field
    comma: bool = False  # a decimal comma (87,4500)


class XmlSource(OfficialSource):
    """A central bank whose daily file is XML laid out as ``layout`` says."""

    layout: ClassVar[XmlLayout]

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: the bank's currency per 1 USD on ``day``; NoData when the file is another day's."""
        layout = self.layout
        root = parse_xml(payload, layout.root)
        check_day(parse_day(layout.date(root), layout.date_format), day)
        usd = find_usd_line(root.iter(layout.line), layout.code)
        return [self.observe(day, layout.value(usd), layout.nominal(usd), comma=layout.comma)]


def parse_xml(payload: bytes, root_tag: str) -> Element:
    """The root element of ``payload``, which must be ``root_tag``; SourceError otherwise."""
    if not payload.strip():
        raise SourceError("empty body")
    try:
        # defusedxml: the body comes from a remote server, so refuse entity tricks outright.
        root = fromstring(payload)
    except (ParseError, DefusedXmlException) as exc:
        raise SourceError(f"not well-formed XML: {exc}") from exc
    if root.tag != root_tag:
        raise SourceError(f"expected <{root_tag}>, got <{root.tag}>")
    return root


def parse_day(text: str | None, fmt: str) -> date:
    """A date written as ``fmt`` in the payload; SourceError when missing or malformed."""
    try:
        return datetime.strptime((text or "").strip(), fmt).date()
    except ValueError as exc:
        raise SourceError(f"bad date {text!r}") from exc


def check_day(published: date, day: date) -> None:
    """Raise NoData when the payload is for another day than the one requested."""
    if published != day:
        raise NoData(f"the file is for {published.isoformat()}, not {day.isoformat()}")


def parse_number(text: str | None, comma: bool = False) -> Decimal:
    """A positive decimal exactly as written (``87,4500`` → ``Decimal("87.4500")`` with ``comma``)."""
    cleaned = (text or "").strip()
    if comma:
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise SourceError(f"bad number {text!r}")
    number = Decimal(cleaned)
    if number <= 0:
        raise SourceError(f"non-positive number {text!r}")
    return number


def units_per_one(value: str | None, nominal: str | None, comma: bool = False) -> Decimal:
    """``value`` ÷ ``nominal``, keeping every digit the bank published (4.7877 per 1 from 478.77 per 100)."""
    amount = parse_number(value, comma)
    units = parse_number(nominal)
    if units != units.to_integral_value():
        raise SourceError(f"nominal {nominal!r} is not a whole number")
    _, digits, exponent = units.normalize().as_tuple()
    if digits == (1,):  # a power of ten: shift the point so no published digit is lost or invented
        return amount.scaleb(-exponent)
    return amount / units


def find_usd_line(lines: Iterable[T], code_of: Callable[[T], str | None]) -> T:
    """The single line whose currency code is USD; SourceError when it is missing or repeated."""
    found = [line for line in lines if (code_of(line) or "").strip() == "USD"]
    if len(found) != 1:
        raise SourceError(f"expected one USD line, found {len(found)}")
    return found[0]
