"""JSON request bodies: orjson, with numbers too large for any field named by their field.

orjson refuses a number that does not fit a double (``1e400``, or an integer of 309 digits
or more, such as a 4,301-digit ``version``) with one error for the whole body, which cannot
say which field held it. Such a body is parsed again with the standard library, each
oversized number standing in as ``TOO_LARGE``, so that the serializers answer 400 naming the
field (``core.api.StrictSerializer``) like any other out-of-range value.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from django.conf import settings
from drf_orjson_renderer.parsers import ORJSONParser
from rest_framework.exceptions import ParseError


class _TooLarge:
    """A JSON number beyond a double's range: no field takes it, every field names it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TOO_LARGE"


TOO_LARGE = _TooLarge()


def _number(text: str) -> Any:
    # float() reads any length of digits; int() would refuse past 4,300 digits.
    if math.isinf(float(text)):
        return TOO_LARGE
    return orjson.loads(text)  # exactly what orjson gives for a number it accepts


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # orjson refuses NaN and Infinity too


def _has_lone_surrogate(value: Any) -> bool:
    # The standard library accepts "\ud800"; orjson does not, and neither does this.
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def loads(text: str) -> Any:
    """orjson's answer, or for a body whose only fault is a number out of range, the same
    data with ``TOO_LARGE`` in place of each such number. ValueError otherwise."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "number is infinity" not in str(exc):
            raise
        first = exc
    try:
        data = json.loads(
            text, parse_int=_number, parse_float=_number, parse_constant=_refuse_constant
        )
    except ValueError:
        raise first from None
    if _has_lone_surrogate(data):
        raise first
    return data


class JSONParser(ORJSONParser):
    """orjson's parser, naming the field of a number too large for it (see the module)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads(stream.read().decode(encoding))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
