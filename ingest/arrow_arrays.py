"""Arrow arrays of Python values, built on buffers: pa.array() (and pa.table() on lists) would
import pandas, a fifth of a second, to check whether its argument is a pandas object, and an
ingest or a pull that builds its tables so pays it on every run, with no use for pandas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import pyarrow as pa

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_DAY = _EPOCH.toordinal()
_MICROSECOND = dt.timedelta(microseconds=1)


def ints(values: object, kind: pa.DataType) -> pa.Array:
    """values (an int each, no None) as an array of the integer type kind."""
    arr = np.ascontiguousarray(values, dtype=kind.to_pandas_dtype())
    return pa.Array.from_buffers(kind, len(arr), [None, pa.py_buffer(arr)])


def texts(values: Sequence[str | None], kind: pa.DataType | None = None) -> pa.Array:
    """values (None: a null) as an array of strings: large_string, or kind (pa.string())."""
    nulls = values.count(None)
    strs = [v or "" for v in values] if nulls else cast(Sequence[str], values)
    joined = "".join(strs)
    if joined.isascii():  # a byte a character: no bytes object a value
        data, lengths = joined.encode(), map(len, strs)
    else:
        encoded = list(map(str.encode, strs))
        data, lengths = b"".join(encoded), map(len, encoded)
    offsets = np.zeros(len(strs) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=len(strs)), out=offsets[1:])
    arr = pa.Array.from_buffers(pa.large_string(), len(strs),
                                [_validity(values, nulls), pa.py_buffer(offsets),
                                 pa.py_buffer(data)])  # fmt: skip
    return arr if kind is None or kind == arr.type else arr.cast(kind)  # 2 GiB or more: refused


def column(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    """values (None: a null) as an array of kind: strings, dates (date32), datetimes
    (timestamp("us"): naive, or an aware one as UTC), floats (float64) or ints (int64, int32)."""
    nulls = values.count(None)
    if nulls == len(values):
        return pa.nulls(nulls, kind)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return texts(values, kind)
    if pa.types.is_date32(kind):
        arr = _each_distinct(values, lambda d: d.toordinal() - _EPOCH_DAY, np.int32)
    elif kind == pa.timestamp("us"):
        arr = _each_distinct(values, lambda t: (_naive(t) - _EPOCH) // _MICROSECOND, np.int64)
    elif pa.types.is_floating(kind) or pa.types.is_integer(kind):
        filled = [0 if v is None else v for v in values] if nulls else values
        arr = np.array(filled, dtype=kind.to_pandas_dtype())
    else:
        raise TypeError(f"no Arrow array of {kind} is built here")
    return pa.Array.from_buffers(kind, len(arr), [_validity(values, nulls), pa.py_buffer(arr)])


def _each_distinct(values: Sequence[Any], number: Callable[[Any], int], dtype: type) -> np.ndarray:
    """number(v) of each value (0 for None), worked out once a distinct value: a pull's rows
    share one instant and a few days."""
    numbers = {v: number(v) for v in set(values) if v is not None}
    numbers[None] = 0
    return np.fromiter(map(numbers.__getitem__, values), dtype=dtype, count=len(values))


def _naive(v: dt.datetime) -> dt.datetime:
    return v if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None)


def _validity(values: Sequence[Any], nulls: int) -> pa.Buffer | None:
    """The validity bitmap of values (a bit a value, set where it is not None); None if none is."""
    if not nulls:
        return None
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return pa.py_buffer(np.packbits(valid, bitorder="little"))
