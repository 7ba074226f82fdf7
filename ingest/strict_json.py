"""A line's JSON read in Python as DuckDB's reader reads the lines (stage.py).

Python reads the rare lines DuckDB does not turn into events (to say why: reasons.py, or to
mend them for a second pass) and the ad insights lines (insight_lines.py): what it reads of a
line must be what DuckDB reads of it. `pull ads` reads the Graph API's answers so too (graph.py).
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes, *, constants: bool = False) -> Any:
    """text's JSON value (bytes: in the UTF-8, -16 or -32 they are in, as json reads them). A
    key given twice in one object is read at its first value, as DuckDB's reader reads it
    (Python's keeps the last). A bare NaN or Infinity is no JSON (RFC 8259) unless constants:
    DuckDB's reader takes them as numbers, and so does a reader of lines for their values
    (insight_lines) or of the Graph API's answers (graph, as httpx's reading took them); one
    saying why a line is no JSON does not. Raises
    ValueError (json.JSONDecodeError when text is no JSON text) or RecursionError (nested too
    deeply to read)."""
    return json.loads(
        text, object_pairs_hook=_first_of_each, parse_constant=None if constants else no_constant
    )


def _first_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        obj.setdefault(key, value)
    return obj


def no_constant(name: str) -> None:
    """json.loads' parse_constant: a bare NaN or Infinity is no JSON (RFC 8259)."""
    raise ValueError(f"{name} is not JSON")
