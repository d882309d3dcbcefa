"""JSON as RFC 8259 defines it: Python's parser also accepts NaN and Infinity, which no JSON body may hold."""

from __future__ import annotations

import json
from typing import Any, NoReturn


class NotJSONConstant(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity`` in a JSON text."""


def loads_strict(text: str) -> Any:
    """The value of a JSON text; NotJSONConstant for NaN and Infinity, json.JSONDecodeError otherwise."""
    return json.loads(text, parse_constant=_reject_constant)


def _reject_constant(name: str) -> NoReturn:
    raise NotJSONConstant(f"{name} is not valid JSON")
