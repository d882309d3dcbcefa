"""Authors are stored as given and split on output: the name to show, the address if there is one."""

from __future__ import annotations

import pytest

from feedsvc.articles.authors import Author, split_author


@pytest.mark.parametrize(("stored", "split"), [
    ("Economy desk <economy@example.org>", Author("Economy desk", "economy@example.org")),
    ('"Smith, J." <j.smith@example.org>', Author("Smith, J.", "j.smith@example.org")),
    ("Aigerim Sadykova", Author("Aigerim Sadykova", None)),
    ("desk@example.org", Author("desk", "desk@example.org")),
    ("<desk@example.org>", Author("desk", "desk@example.org")),
    ("Ann <a@example.org> (Almaty)", Author("Ann Almaty", "a@example.org")),
    ("a@example.org, b@example.org", Author("a", "a@example.org")),
    ("Ann <not an address>", Author("Ann <not an address>", None)),
    ("  ", None),
    (None, None),
])
def test_split_author(stored: str | None, split: Author | None) -> None:
    assert split_author(stored) == split


def test_no_name_ever_holds_an_address() -> None:
    for stored in ["x@y.org", "Desk <x@y.org>", "x@y.org and z@w.org", "Desk (x@y.org)"]:
        author = split_author(stored)
        assert author is not None and "@" not in author.name and author.email == "x@y.org"
