"""Arrow arrays built on buffers (ingest/arrow_arrays.py, in place of pa.array(), which imports
pandas) hold what pa.array() would: the values, their nulls and their type."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from ingest import arrow_arrays, insight_rows

AWARE = dt.datetime(2026, 11, 20, 13, 0, 0, 250, tzinfo=dt.timezone(dt.timedelta(hours=1)))
VALUES: list[tuple[pa.DataType, list[Any]]] = [
    (pa.string(), ["6000000000001", None, "", "Café ☕ 𝄞", "x" * 70_000]),
    (pa.large_string(), [None, "a\x00b", "é"]),
    (pa.date32(), [dt.date(2026, 11, 2), None, dt.date(1969, 12, 31), dt.date(1, 1, 1)]),
    (
        pa.timestamp("us"),
        [
            dt.datetime(2026, 11, 20, 12, 0, 0, 1),
            None,
            AWARE,
            dt.datetime(1960, 1, 1, 0, 0, 0, 999_999),
        ],
    ),  # fmt: skip
    (pa.float64(), [12.34, None, 0.0, -1e300, 5]),
    (pa.int64(), [2**63 - 1, None, -(2**63), 0]),
    (pa.int32(), [None, None, 7]),
]


@pytest.mark.parametrize(("kind", "values"), VALUES, ids=[str(k) for k, _ in VALUES])
def test_a_column_holds_what_pa_array_holds(kind: pa.DataType, values: list[Any]) -> None:
    built = arrow_arrays.column(values, kind)
    built.validate(full=True)
    assert built.type == kind
    assert built.null_count == values.count(None)
    assert built.equals(pa.array(values, kind))
    for part in (built.slice(1), arrow_arrays.column(values[1:], kind)):  # an offset bitmap
        assert part.equals(pa.array(values[1:], kind))


@pytest.mark.parametrize("kind", [pa.string(), pa.date32(), pa.int64(), pa.timestamp("us")])
def test_no_value_and_all_nulls(kind: pa.DataType) -> None:
    assert arrow_arrays.column([], kind).equals(pa.array([], kind))
    assert arrow_arrays.column([None] * 9, kind).equals(pa.array([None] * 9, kind))


def test_an_insights_table_is_as_pa_array_built_it() -> None:
    at = dt.datetime(2026, 11, 20, 12, 0)
    first = {"date_start": "2026-11-02", "ad_id": 601, "spend": "1.5", "impressions": "10",
             "account_currency": "EUR"}  # fmt: skip
    second = {"date_start": "2026-11-03", "ad_id": "602"}
    rows = [insight_rows.insight_row(first, at), insight_rows.insight_row(second, at, "act_1")]
    cols = list(zip(*rows, strict=True))
    expected = pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(cols, insight_rows.COLUMNS, strict=True)],
        schema=insight_rows.COLUMNS,
    )
    assert insight_rows.insights_table(rows).equals(expected)


def test_a_type_not_built_here_is_refused() -> None:
    with pytest.raises(TypeError, match="no Arrow array of bool"):
        arrow_arrays.column([True], pa.bool_())
