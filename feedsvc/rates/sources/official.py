"""What the central-bank sources share: safe XML, a table's lines read one by one, exact numbers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from feedsvc.rates.sources.base import NoData, Observation, Refusal, Source, SourceError, Table

# Banks publish plain decimals; Decimal() alone would also accept "NaN", "1e3" or "1_000".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CODE = re.compile(r"[A-Z]{3}")  # an ISO 4217 code as banks write them (withdrawn ones too: BYR)
T = TypeVar("T")
Line = tuple[str | None, str | None, str | None]  # (code, value, nominal) as written


class OfficialSource(Source):
    """A central bank publishing its table of currencies, in its own currency, one file per day."""

    # currency-api covers every currency daily: a bank value far from it is more likely a slip upstream
    # than a real move, so it waits for a human.
    crosscheck_reference = "currency-api"
    # The banks' servers are small and made for people reading one day at a time; a deep backfill asks
    # for thousands of days, so at most one request a second (NBKR, which drops bursts, waits 2 s).
    min_interval = 1.0

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A bank's X/USD line is its own currency's: ``currencies`` is ``(quote,)`` unless set."""
        super().__init_subclass__(**kwargs)
        if "currencies" not in vars(cls) and cls.quote is not None:
            cls.currencies = (cls.quote,)


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

    def parse(self, payload: bytes, day: date) -> Table:
        """Pure: every line of the bank's table of ``day``; NoData when the file is another day's."""
        root = parse_xml(payload, self.layout.root)
        published = parse_day(self.layout.date(root), self.layout.date_format)
        self.check_date(published, day)
        return read_lines(self.xml_lines(root), published, self.quote or "", self.layout.comma,
                          self.valid_days(root))

    def check_date(self, published: date, day: date) -> None:
        """NoData unless the file answers ``day`` (a daily table: it is dated ``day``)."""
        check_day(published, day)

    def valid_days(self, root: Element) -> int | None:
        """How long the table holds, if the bank says; None for a daily table."""
        return None

    def xml_lines(self, root: Element) -> list[Line]:
        """Each line's (code, value, nominal) as written."""
        layout = self.layout
        return [(layout.code(line), layout.value(line), layout.nominal(line))
                for line in root.iter(layout.line)]


def read_lines(lines: Iterable[Line], day: date, quote: str, comma: bool = False,
               valid_days: int | None = None) -> Table:
    """The table of ``lines``: each readable one an observation, each other refused for its currency alone.

    A code listed twice is refused both times: which of the two values the bank meant is unknowable.
    NoData when the table has no line at all.
    """
    lines = [((code or "").strip(), value, nominal) for code, value, nominal in lines]
    if not lines:
        raise NoData(f"the table of {day} lists no currency")
    counts = Counter(code for code, _value, _nominal in lines)
    repeated = {code for code, count in counts.items() if count > 1}
    table = Table([], [])
    for code, value, nominal in lines:
        reason = _line_problem(code, quote, repeated)
        if reason is None:
            try:
                table.observations.append(Observation(day, code, quote, parse_number(value, comma),
                                                      parse_nominal(nominal), valid_days))
                continue
            except SourceError as exc:
                reason = str(exc)
        table.refused.append(Refusal(day, known_code(code), quote, reason))
    return table


def known_code(code: object) -> str:
    """``code`` when it reads as a currency code, else ``???`` (a refused line still names its place)."""
    return code if isinstance(code, str) and _CODE.fullmatch(code) else "???"


def _line_problem(code: str, quote: str, repeated: set[str]) -> str | None:
    if not _CODE.fullmatch(code):
        return f"bad currency code {code[:16]!r}"
    if code == quote:
        return f"{code} quoted in itself"
    if code in repeated:
        return f"{code} is listed more than once"
    return None


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


def parse_nominal(text: str | None) -> int:
    """How many units a line's value is for: a whole positive number (``100``)."""
    units = parse_number(text)
    if units != units.to_integral_value():
        raise SourceError(f"nominal {text!r} is not a whole number")
    return int(units)
