"""The query-string toolkit: typed getters, unknown and repeated names, one 400 naming every mistake."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from feedsvc.core.errors import BadRequestParams
from feedsvc.core.params import QueryParams


def mistakes(params: QueryParams) -> dict[str, list[str]]:
    with pytest.raises(BadRequestParams) as caught:
        params.done()
    assert all(name in caught.value.description or name.startswith("_") for name in caught.value.fields)
    return caught.value.fields


def test_good_values_are_read() -> None:
    params = QueryParams(MultiDict({"n": " 42 ", "tag": "Rail-Ways", "d": "2025-02-28", "t": "a  b\tc",
                                    "c": "DARK"}), ("n", "tag", "d", "t", "c"))
    assert params.whole("n", 1, 1, 100) == 42
    assert params.tag() == "rail-ways"
    assert params.day("d") == date(2025, 2, 28)
    assert params.text("t", 10) == "a b c"
    assert params.choice("c", ("light", "dark"), "light") == "dark"
    params.done()


def test_absent_values_give_the_defaults() -> None:
    params = QueryParams(MultiDict(), ("n", "tag", "d"))
    assert (params.whole("n", 7, 1, 100), params.tag(), params.day("d")) == (7, None, None)
    assert params.text("q", 5) == ""
    params.done()


@pytest.mark.parametrize("value", ["0", "101", "-1", "1.5", "", "abc", "9" * 400, "１"])
def test_whole_numbers_are_ascii_digits_within_bounds(value: str) -> None:
    params = QueryParams(MultiDict({"n": value}), ("n",))
    assert params.whole("n", 5, 1, 100) == 5
    assert "from 1 to 100" in mistakes(params)["n"][0]


def test_a_form_may_leave_a_field_blank() -> None:
    params = QueryParams(MultiDict({"n": "", "tag": " "}), ("n", "tag"), blank="absent")
    assert (params.whole("n", 5, 1, 100), params.tag()) == (5, None)
    params.done()


@pytest.mark.parametrize(("getter", "value"), [
    (lambda p: p.tag(), "not a slug"), (lambda p: p.tag(), "x" * 65), (lambda p: p.tag(), "a\x00b"),
    (lambda p: p.day("tag"), "2025-02-30"), (lambda p: p.day("tag"), "2025-2-3"),
    (lambda p: p.text("tag", 3), "long words"), (lambda p: p.text("tag", 30), "a\x07b"),
    (lambda p: p.choice("tag", ("a", "b"), "a"), "c"),
])
def test_bad_values_are_noted(getter, value: str) -> None:
    params = QueryParams(MultiDict({"tag": value}), ("tag",))
    getter(params)
    assert list(mistakes(params)) == ["tag"]


def test_unknown_and_repeated_names_and_every_mistake_at_once() -> None:
    args = MultiDict([("n", "1"), ("n", "2"), ("utm_source", "x"), ("d", "soon")])
    params = QueryParams(args, ("n", "d"))
    params.day("d")
    fields = mistakes(params)
    assert set(fields) == {"_unknown", "_repeated", "d"}
    assert "utm_source" in fields["_unknown"][0] and "allowed: n, d" in fields["_unknown"][0]
    assert "give n once" in fields["_repeated"][0]


def test_pages_ignore_unknown_names_but_not_repeated_ones() -> None:
    QueryParams(MultiDict({"utm_source": "x"}), ("page",), unknown="ignore").done()
    params = QueryParams(MultiDict([("page", "1"), ("page", "2")]), ("page",), unknown="ignore")
    assert list(mistakes(params)) == ["_repeated"]


def test_a_hostile_name_is_cut_in_the_message() -> None:
    params = QueryParams(MultiDict({"x" * 5000: "1"}), ())
    assert len(mistakes(params)["_unknown"][0]) < 200
