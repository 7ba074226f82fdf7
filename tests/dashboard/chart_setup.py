"""Days and a trace reader shared by the charts.py tests (test_charts*.py)."""

from __future__ import annotations

import datetime as dt

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def values(seq: object) -> list[object]:
    """A trace's data as a plain list (plotly keeps tuples or numpy arrays; None when unset)."""
    return [] if seq is None else list(seq)  # type: ignore[call-overload]
