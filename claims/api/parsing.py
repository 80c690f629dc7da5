"""Reading request bodies: DRF's JSON parser, with a bound on how deeply the JSON may nest.

Python's json module decodes nested arrays and objects by recursion: a body of 2,000 `[` raises RecursionError
(a 500) and one of a few hundred reaches the rest of the code deeply nested. Nothing the API takes nests deeper
than an annotation's target and selectors, so a body nested deeper than MAX_JSON_DEPTH is a 400 where it is read.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def depth(value) -> int:
    """How deeply arrays and objects nest in a decoded JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        value, level = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """JSON, nested at most MAX_JSON_DEPTH levels (else a 400 saying so)."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = f"JSON parse error - arrays and objects nested deeper than {MAX_JSON_DEPTH} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(too_deep) from error
        if depth(data) > MAX_JSON_DEPTH:
            raise ParseError(too_deep)
        return data
