"""Files for download: any table as CSV, XLSX or Parquet with its filters written in, and the
period report as PDF, XLSX or HTML.

Bytes in, bytes out: no Streamlit and no file system here, so the pages and `refscope report`
share it. The report's content lives in report_data; each report format in its own module.
"""

from __future__ import annotations

import io
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard import report_html, report_pdf, report_xlsx
from dashboard.filters import Filters
from dashboard.report_data import (
    Report,
    connection_fetch,
    gather,
    kpi_frame,
    kpi_table,
    period,
    scope,
)
from dashboard.report_model import pages_named
from dashboard.report_text import number_column

__all__ = [
    "REPORT_FORMATS",
    "TABLE_FORMATS",
    "Report",
    "connection_fetch",
    "gather",
    "header_line",
    "kpi_frame",
    "kpi_table",
    "pdf_available",
    "pdf_problem",
    "render",
    "report_command",
    "report_file_name",
    "table_bytes",
    "table_file_name",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# format -> (button label, MIME type)
TABLE_FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("XLSX", XLSX_MIME),
    "parquet": ("Parquet", "application/vnd.apache.parquet"),
}
REPORT_FORMATS = {
    "pdf": ("PDF", "application/pdf"),
    "xlsx": ("XLSX", XLSX_MIME),
    "html": ("HTML", "text/html"),
}
METADATA_PREFIX = "refscope."  # Parquet key-value metadata keys we add
Extra = dict[str, str] | None  # a page's own filters, e.g. {"search": "spring"}
Labels = dict[str, str] | None  # page id -> its name, as queries.page_list labels it
ALL_DATES, NO_SCOPE = "all dates", "pages: all, channels: all"  # a table shown without filters


def header_line(name: str, f: Filters | None, extra: Extra = None, labels: Labels = None) -> str:
    """`refscope refs, 2026-10-28 – 2026-11-24, pages: all, channels: all[, search: x], UTC`;
    a chosen page that labels name is `Acme Bakery (1122…)`, one they do not its id alone;
    without filters (a database with no contacts yet has no range) `all dates` and no page or
    channel. Its days and times are UTC, as everywhere in refscope: a file alone says so."""
    where = scope(f, labels) if f else NO_SCOPE
    parts = [f"refscope {name}", period(f) if f else ALL_DATES, where]
    parts += [f"{k}: {v}" for k, v in _extra(extra)]
    return " ".join(", ".join([*parts, "UTC"]).split())  # one line, whatever a search held


def filter_items(
    name: str, f: Filters | None, extra: Extra = None, labels: Labels = None
) -> list[tuple[str, Any]]:
    """The filters as (key, value) pairs; dates stay dates ("all" without filters); pages as
    header_line names them."""
    items: list[tuple[str, Any]] = [
        ("table", name),
        ("from", f.start if f else "all"),
        ("to", f.end if f else "all"),
        ("pages", pages_named(f, labels or {}) if f else "all"),
        ("channels", ", ".join(f.channels if f else ()) or "all"),
    ]
    return [*items, *_extra(extra), ("timezone", "UTC")]


def _extra(extra: Extra) -> list[tuple[str, str]]:
    """Page-specific filters that are set (a search box left empty filters nothing)."""
    return [(k, v) for k, v in (extra or {}).items() if v]


# A spreadsheet runs a cell that starts with one of these as a formula. Refs, ad titles and
# referer URIs come from whoever shares a link or runs an ad: in a CSV such a text gets a
# leading apostrophe, which spreadsheets show as text. https://owasp.org/www-community/attacks/CSV_Injection
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defused(df: pd.DataFrame) -> pd.DataFrame:
    """df with every text cell a spreadsheet would run as a formula quoted as text."""
    texts = [c for c in df.columns if (df[c].dtype == object or pd.api.types.is_string_dtype(df[c]))
             and not number_column(df[c])]  # fmt: skip
    if not texts:
        return df
    out = df.copy()
    for c in texts:
        out[c] = out[c].map(
            lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
        )
    return out


def _comment(line: str) -> str:
    """The `# refscope …` line with each of its comma-separated parts that a spreadsheet would
    run as a formula, or read as a quoted field running into the rows below, quoted as text: a
    spreadsheet splits it like any row, and a picked ref or a search may hold commas."""
    starts = (*_FORMULA_STARTS, '"')
    return ",".join("'" + p if p.startswith(starts) else p for p in f"# {line}".split(","))


def table_csv(
    df: pd.DataFrame, name: str, f: Filters | None, extra: Extra = None, labels: Labels = None
) -> bytes:
    """UTF-8 CSV with one leading `# refscope …` comment line naming the table and its filters;
    texts that a spreadsheet would run as formulas are written as text. It starts with a byte
    order mark: without one, Excel reads a CSV in the system's code page (Café as CafÃ©). Lines
    end in CRLF (RFC 4180): the writer then quotes a text holding a bare carriage return, which
    readers otherwise take for the end of its row."""
    body = _defused(df).to_csv(index=False, lineterminator="\r\n")
    return f"{_comment(header_line(name, f, extra, labels))}\r\n{body}".encode("utf-8-sig")


def table_xlsx(
    df: pd.DataFrame, name: str, f: Filters | None, extra: Extra = None, labels: Labels = None
) -> bytes:
    """A sheet named after the table (typed cells, formatted header) and a "filters" sheet."""
    return report_xlsx.table_workbook(df, name, filter_items(name, f, extra, labels))


def table_parquet(
    df: pd.DataFrame, name: str, f: Filters | None, extra: Extra = None, labels: Labels = None
) -> bytes:
    """Parquet with the filters as key-value metadata (refscope.table, refscope.from, …): the
    pages by id in refscope.pages, for a program to read (a page's name may hold ", "), and by
    name and id in refscope.header, as the CSV's first line."""
    # An object column of numbers (the KPIs' counts beside money) is one of doubles, as a float
    # column of the same table in another download.
    numbers = {c: "float64" for c in df.columns if number_column(df[c])}
    table = pa.Table.from_pandas(df.astype(numbers), preserve_index=False)
    # A text column no row fills (all None, or no rows) would be Parquet's null type, which no
    # reader casts the same column of another download to: it is text, as where it has values.
    fields = [fl.with_type(pa.large_string()) if pa.types.is_null(fl.type) else fl
              for fl in table.schema]  # fmt: skip
    table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    ours = {f"{METADATA_PREFIX}{k}": str(v) for k, v in filter_items(name, f, extra)}
    ours[f"{METADATA_PREFIX}header"] = header_line(name, f, extra, labels)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in ours.items()})
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


_TABLE_WRITERS = {"csv": table_csv, "xlsx": table_xlsx, "parquet": table_parquet}


def table_bytes(
    fmt: str,
    df: pd.DataFrame,
    name: str,
    f: Filters | None,
    extra: Extra = None,
    labels: Labels = None,
) -> bytes:
    """The table in one of TABLE_FORMATS (f None: a table shown without filters); labels name
    the chosen pages (page id -> name, as queries.page_list labels them)."""
    return _TABLE_WRITERS[fmt](df, name, f, extra, labels)


def table_file_name(name: str, f: Filters | None, fmt: str) -> str:
    return f"refscope-{name}-{f.start}-{f.end}.{fmt}" if f else f"refscope-{name}.{fmt}"


def render(report: Report, fmt: str) -> bytes:
    """The period report in one of REPORT_FORMATS (PDF needs Chromium: see report_pdf)."""
    if fmt == "pdf":
        return report_pdf.report_pdf(report)
    if fmt == "xlsx":
        return report_xlsx.report_workbook(report)
    if fmt == "html":
        return report_html.report_html(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")


def report_file_name(f: Filters, fmt: str) -> str:
    return f"refscope-report-{f.start}-{f.end}.{fmt}"


def report_command(
    f: Filters,
    fmt: str = "pdf",
    db: Path | None = None,
    *,
    lake: Path | None = None,
    rolling: bool = False,
) -> str:
    """The `refscope report` command line that writes this report; with db, the database by
    its absolute path (cron does not start in the project's folder); with lake (a dashboard
    reading a Parquet lake), that lake instead. rolling: the same number of days (those a preset
    asked for, where a prune cut the range shorter), ending on the newest whole day whenever it
    runs, instead of these dates."""
    args = [f"--days {f.rolling_days}"] if rolling else [f"--from {f.start}", f"--to {f.end}"]
    args += [f"--page {p}" for p in f.pages] + [f"--channel {c}" for c in f.channels]
    if lake is not None:
        args.append(f"--lake {shlex.quote(str(lake.resolve()))}")
    elif db is not None:
        args.append(f"--db {shlex.quote(str(db.resolve()))}")
    return " ".join(["refscope report", *args, f"--format {fmt}"])


def pdf_available() -> bool:
    """Whether a Chromium for the PDF's charts is installed and runs."""
    return not report_pdf.pdf_problem()


def pdf_problem() -> str:
    """Why the PDF cannot be made here, for the Reports page ("" when it can)."""
    return report_pdf.pdf_problem()
