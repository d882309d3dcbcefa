"""The search box's syntax, read once for both databases: words, "phrases", -exclusions and ``or``.

It is PostgreSQL's ``websearch_to_tsquery`` syntax. Only words (runs of letters and digits) survive the
parse; every other character separates words, so nothing a reader types reaches a database as query
syntax: SQLite gets an FTS5 expression built here from quoted words, PostgreSQL the same terms written
back as websearch text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 32  # beyond this a query is a paste, not a search: the rest is ignored
MAX_PHRASE = 16
MAX_WORD = 64
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_WORD = re.compile(r"[^\W_]+")

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class SearchTerms:
    """A parsed query: every group must match (one of its phrases), no excluded phrase may."""

    groups: tuple[tuple[Phrase, ...], ...]
    excluded: tuple[Phrase, ...]

    def __bool__(self) -> bool:
        """False when nothing is asked for: only exclusions, operators or punctuation find nothing."""
        return bool(self.groups)

    def fts5(self) -> str:
        """The terms as an SQLite FTS5 expression of quoted strings (the tokenizer stems them)."""
        either = ("(" + " OR ".join(_fts5_string(p) for p in group) + ")" for group in self.groups)
        wanted = " AND ".join(either)
        return wanted + "".join(f" NOT {_fts5_string(p)}" for p in self.excluded)

    def websearch(self) -> tuple[str, str]:
        """``websearch_to_tsquery`` texts of the wanted terms, and of the excluded ones joined by ``or``."""
        wanted = " ".join(" or ".join(_quoted(p) for p in group) for group in self.groups)
        return wanted, " or ".join(_quoted(p) for p in self.excluded)


def _quoted(phrase: Phrase) -> str:
    return '"' + " ".join(phrase) + '"'


def _fts5_string(phrase: Phrase) -> str:
    # Words hold no quote; doubling them anyway keeps the string closed whatever a word becomes.
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def parse_search_terms(q: str) -> SearchTerms:
    """Read a search box's text; what is not a word is a separator, never an operator of the database."""
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    join_next = False
    for sign, quoted, bare in _TOKEN.findall(q):
        raw = quoted if quoted or bare == "" else bare
        if not sign and not quoted and raw.lower() == "or":
            join_next = bool(groups)  # "or" between two terms; leading or doubled it is nothing
            continue
        phrase = tuple(word[:MAX_WORD] for word in _WORD.findall(raw.lower()))[:MAX_PHRASE]
        if not phrase:
            continue
        if sign:
            excluded.append(phrase)
        elif join_next:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        join_next = False
        if len(groups) + len(excluded) >= MAX_TERMS:
            break
    return SearchTerms(tuple(tuple(group) for group in groups), tuple(excluded))
