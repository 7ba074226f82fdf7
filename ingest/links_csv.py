"""Bulk registration: a links CSV checked whole, every bad row reported with its line and rule.

Nothing is written here: `refscope links import` registers the report's links only when it
holds no error (all or nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import link_pages
from .errors import ValidationError
from .link_rules import LINK_CHANNELS, NOTES_RULE, check_created
from .link_urls import with_url
from .links import ONE_MEANING_RULE, Link, Registry, differences, make_link


@dataclass
class ImportReport:
    links: list[Link] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: rule"
    # Rows read that give their own url (it wins over --via-redirect), and those that do not
    # (their link is made from page and ref, through --via-redirect's address when given).
    own_urls: int = 0
    made_urls: int = 0
    # The pages its rows name, (page id, username, name), saved as `pages set` saves them.
    pages: list[link_pages.Saved] = field(default_factory=list)


IMPORT_COLUMNS = ("page", "ref", "channel", "campaign", "placement", "notes", "url", "created",
                  *link_pages.PAGE_COLUMNS)  # fmt: skip
REQUIRED_COLUMNS = ("page",)
ENCODING_RULE = "a links CSV is UTF-8 (in Excel: save as CSV UTF-8)"
COLUMNS_RULE = (
    f"the header names columns among {', '.join(IMPORT_COLUMNS)}, each once, with "
    f"{', '.join(REQUIRED_COLUMNS)} required (case and surrounding spaces do not matter)"
)
# Excel writes the empty columns of a sheet's used range (a cell once formatted or cleared) as
# trailing separators: a header cell left blank is no column, as long as its cells are blank.
UNNAMED_RULE = (
    "a value under a column whose header cell is blank: name the column (among "
    f"{', '.join(IMPORT_COLUMNS)}) or clear its cells"
)


def read_csv(
    path: Path,
    base_url: str | None = None,
    today: dt.date | None = None,
    registry: Registry | None = None,
) -> ImportReport:
    """Check every row of a links CSV, against each other and the registry when given; the
    report lists each bad row with the physical line it starts on and the rule it broke."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The codec's byte position means nothing in a spreadsheet: the line, and what to do.
        bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        line = len(_LINE_END.findall(raw, 0, exc.start + bom)) + 1
        raise ValidationError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start + bom]:02x}): "
            f"{ENCODING_RULE}"
        ) from None
    delimiter = _delimiter(text)
    rows = (row for row in _csv_rows(path, text, delimiter) if _filled(row[1]))
    header_line, header = next(rows, (1, []))
    if isinstance(header, str):  # no header to read the rows by
        raise ValidationError(f"{path}: line {header_line}: {header}")
    columns = _columns(path, header_line, header)
    report = ImportReport()
    errors: list[tuple[int, str]] = []  # (line, rule): said in the order of the lines
    parsed: list[tuple[int, dict[str, str]]] = []
    for line, cells in rows:
        if isinstance(cells, str):  # its quoting is broken: what is wrong with it
            errors.append((line, cells))
        elif len(cells) > len(columns):
            errors.append((line, f"{len(cells)} fields under {len(columns)} columns: a row has "
                           "no more fields than the header (quote a value that holds a "
                           f"{DELIMITERS[delimiter]})"))  # fmt: skip
        elif any(c.strip() for name, c in zip(columns, cells, strict=False) if not name):
            errors.append((line, UNNAMED_RULE))
        else:
            parsed.append((line, dict(zip(columns, cells, strict=False))))
    # The pages the file names first: its links' keys are read with them, as saved.
    pages = link_pages.FilePages()
    for line, row in parsed:
        try:
            names = link_pages.row_page(row)
        except ValidationError as exc:
            errors.append((line, str(exc)))
            continue
        if names and (rule := pages.add(line, names)):
            errors.append((line, rule))
    refused = {line for line, _rule in errors}
    registry = pages.mapped(registry or Registry())
    seen: dict[tuple[str, str], tuple[int, Link]] = {}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # one clock for every row's created
    for line, row in parsed:
        if row.get("url", "").strip():
            report.own_urls += 1
        else:
            report.made_urls += 1
        try:
            link = _row_link(row, base_url, today, now)
        except ValidationError as exc:
            errors.append((line, str(exc)))
            continue
        if line in refused:
            continue
        key = registry.key(link)
        if key in seen:
            first, earlier = seen[key]
            if differences(earlier, link):  # of one text in another Unicode form: the same
                errors.append((line, f"ref {link.ref!r} for page {link.page!r} is on line "
                               f"{first} with {differences(earlier, link)}: "
                               f"{ONE_MEANING_RULE}"))  # fmt: skip
            continue  # the same row again is a no-op
        seen[key] = (line, link)
        if rule := registry.conflict(link):
            errors.append((line, rule))
            continue
        report.links.append(link)
    report.errors = [f"line {line}: {rule}" for line, rule in sorted(errors, key=lambda e: e[0])]
    report.pages = pages.saved()
    return report


# What separates fields, told by the header: a comma, else the semicolon that Excel writes (also
# as "CSV UTF-8") where the list separator is one (German, French, Swedish ... settings), or a
# tab (a sheet's cells pasted as text). No column name holds any of them.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _delimiter(text: str) -> str:
    """The header's field separator: the first non-blank line's comma, semicolon or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return next((d for d in DELIMITERS if d in header), ",")


# Where a line ends, as the csv reader ends one (the rows' line numbers): CRLF, LF, or a CR
# alone, as Excel for Mac's "CSV (Macintosh)" (Mac Roman text) ends its lines.
_LINE_END = re.compile(rb"\r\n|\r|\n")
QUOTE_RULE = "a quoted value starts and ends with a quote, and a quote inside it is doubled"
# The csv module's limit on a value (131,072 characters by default), far above what any
# column takes: such a value breaks a rule, not its quoting.
LONG_VALUE_RULE = f"a value has at most {csv.field_size_limit():,} characters ({NOTES_RULE})"


def _filled(cells: list[str] | str) -> bool:
    """Whether a row holds anything (a broken row, said as a str, always does)."""
    return isinstance(cells, str) or any(cell.strip() for cell in cells)


def _csv_rows(path: Path, text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str] | str]]:
    """(physical line the row starts on, fields) for each CSV row, blank rows included.

    The csv module with newline='' keeps a quoted line break inside its field, and ends lines
    only at CR and LF (str.splitlines also splits on form feed and U+2028, which a note may hold).
    A row whose quoting is broken (`"spring"x`) gives what is wrong with it, as a str, and the
    rows after it are read on, so that every bad row is reported; a quote left open runs to the
    end of the file, where no row after it can be told apart: that refuses the file.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "end of data" in str(exc):  # an open quote took in every line after it
                raise ValidationError(f"{path}: line {start}: {exc}: {QUOTE_RULE}") from exc
            long = "field larger than field limit" in str(exc)
            cells = LONG_VALUE_RULE if long else f"{exc}: {QUOTE_RULE}"
        yield start, cells
        start = reader.line_num + 1


def _columns(path: Path, line: int, header: list[str]) -> list[str]:
    """The header's column names, matched after stripping spaces and case-folding; an unknown,
    repeated or missing column refuses the whole file. A blank header cell names no column
    ('': its cells must be blank)."""
    names = [name.strip().casefold() for name in header]
    named = [name for name in names if name]
    problems = [f"unknown column {name!r}" for name in named if name not in IMPORT_COLUMNS]
    problems += [f"column {n!r} appears {c} times" for n, c in Counter(named).items() if c > 1]
    problems += [f"no {name!r} column" for name in REQUIRED_COLUMNS if name not in names]
    if problems:
        raise ValidationError(f"{path}: line {line}: {'; '.join(problems)}: {COLUMNS_RULE}")
    return names


def _row_link(
    row: dict[str, str], base_url: str | None, today: dt.date | None, now: dt.datetime
) -> Link:
    # A page or ref with surrounding spaces (" window") is refused by make_link, not stripped.
    # A row's url (as `links list --format csv` writes it) says where it points, whatever
    # --via-redirect says; it is checked against the link made without one.
    url = row.get("url", "").strip()
    try:  # a ref built without one takes the month the link was made, as created_at has it
        made = check_created(row.get("created"), now)
    except ValidationError:
        made = None  # refused below, after the link's own rules
    link = make_link(
        page=row.get("page", ""),
        ref=row.get("ref") or None,
        channel=row.get("channel", "").strip() or "link",
        campaign=row.get("campaign"),
        placement=row.get("placement"),
        notes=row.get("notes"),
        base_url=None if url else base_url,
        today=today or (made.date() if made else None),
    )
    link = replace(link, created=check_created(row.get("created"), now))
    return with_url(link, url) if url else link


# A registered link's stored channel as a links CSV gives it.
CSV_CHANNELS = {stored: given for given, stored in LINK_CHANNELS.items()}


def registry_csv(rows: Iterable[Sequence[object]], show: Callable[[str], str] = str,
                 pages: link_pages.KnownPages | None = None) -> str:  # fmt: skip
    """Registered links (links.list_links's rows) as a links CSV that `links import` reads back
    to the same links: IMPORT_COLUMNS, each value as stored (through show), the URL as
    registered, when it was registered in UTC (ISO 8601: 2026-03-14T09:30:12.123456Z), the
    `pages` row of its page (link_pages) when there is one, lines ending in CRLF (RFC 4180; the
    writer then quotes a value holding a bare carriage return). A value that a spreadsheet
    would run as a formula is left as it is: a ref may start with = or -, and with a ' before
    it, it would be no ref."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(IMPORT_COLUMNS)
    for ref, page, channel, campaign, placement, url, created, notes in rows:
        kind = CSV_CHANNELS.get(str(channel), channel)
        when = f"{created:%Y-%m-%dT%H:%M:%S.%f}Z" if isinstance(created, dt.datetime) else None
        page_id, username, name = pages.of(str(page)) if pages else (None, None, None)
        values = dict(page=page, ref=ref, channel=kind, campaign=campaign, placement=placement,
                      notes=notes, url=url, created=when, page_id=page_id,
                      page_username=username, page_name=name)  # fmt: skip
        writer.writerow([show("" if values[c] is None else str(values[c])) for c in IMPORT_COLUMNS])
    return out.getvalue()
