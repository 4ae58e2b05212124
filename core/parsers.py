"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). A module of its own: DRF's
views read that setting when they are imported, so it cannot live beside code that imports them."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_JSON_DEPTH = 20


class JSONParser(DRFJSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than any request of ours needs: Python's
    parser (and everything that walks the data after it) would otherwise hit its recursion limit
    and answer 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        depth, has_nul = _walk(data)
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
        if has_nul:
            # PostgreSQL cannot store or even compare a string with a NUL character in it.
            raise ParseError("JSON parse error - NUL characters (\\u0000) are not allowed.")
        return data


def _walk(data):
    """How deeply lists and objects nest, and whether any key or string holds a NUL character,
    found without recursion."""
    deepest, has_nul, stack = 0, False, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, str):
            has_nul = has_nul or "\x00" in value
        elif isinstance(value, dict | list):
            if isinstance(value, dict):
                has_nul = has_nul or any("\x00" in key for key in value)
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, level + 1) for child in children)
    return deepest, has_nul
