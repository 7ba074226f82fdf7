"""How long refscope keeps people's data: prune old rows, forget one person for good.

`forget` records a hash of the stored id in `forgotten`, which every later ingest honours, so
re-reading old logs does not bring the person back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from . import comment_tables, db, forgotten_sends, history
from .errors import ValidationError
from .privacy import (
    FORGOTTEN,
    FORGOTTEN_NAMES,
    STORED_ID,
    Privacy,
    forgotten_hash,
    shown_stored,
)
from .reject_text import without_forgotten_texts

_AGE = re.compile(r"(\d+)\s*([dwmy])")
_PERSON_TABLES = ("events", "touches", "contacts", "contact_days", "contact_history")


def parse_age(text: str) -> tuple[int, str]:
    """'25m' → (25, 'm'): days, weeks, months or years."""
    m = _AGE.fullmatch(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        raise ValidationError(
            f"invalid age {text!r}: a whole number of at least 1 and a unit, d (days), "
            "w (weeks), m (months) or y (years), e.g. 25m"
        )
    return int(m.group(1)), m.group(2)


def cutoff(text: str, today: dt.date) -> dt.date:
    """The first day an age keeps: `1m` on 30 November keeps 30 October on, not the 28th; in
    a month without that day, its last day (`1m` on 31 March: 28 or 29 February)."""
    n, unit = parse_age(text)
    if unit == "d":
        return today - dt.timedelta(days=n)
    if unit == "w":
        return today - dt.timedelta(weeks=n)
    months = n * (12 if unit == "y" else 1)
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(y, m + 1, min(today.day, calendar.monthrange(y, m + 1)[1]))


@dataclass(frozen=True)
class Forgot:
    """What a forget removed, per table (see forget), and where the person was already
    forgotten before it (a page id, `*` for every page; None: they were not)."""

    counts: dict[str, int]
    already: str | None = None


@dataclass(frozen=True)
class Pruned:
    before: dt.date
    events: int
    touches: int
    clicks: int
    contact_days: int
    contacts: int
    rejects: int = 0


def prune(
    con: duckdb.DuckDBPyConnection, before: dt.date, committed: Callable[[], object] | None = None
) -> Pruned:
    """Delete events, touches, clicks and contact days before a date, contacts left empty, and
    the rejected lines of runs started before it or dated before it (all their instants).

    The contacts it keeps keep their acquisition and the tallies of what it removes (history.py),
    and later ingests leave out events dated before the latest prune. committed: called at its
    COMMIT (db.transaction)."""
    counts: dict[str, int] = {}
    with db.transaction(con, committed):
        history.keep(con, before)
        params = {"before": before}
        deletions = (("events", history.REMOVED), ("touches", history.REMOVED),
                     ("clicks", "ts < $before"), ("contact_days", "day < $before"))  # fmt: skip
        for table, where in deletions:
            row = con.execute(f"DELETE FROM {table} WHERE {where}", params).fetchone()
            counts[table] = int(row[0]) if row else 0
        row = con.execute(
            """DELETE FROM contacts c WHERE NOT EXISTS (
                   SELECT 1 FROM events e WHERE e.page_id = c.page_id AND e.psid = c.psid)"""
        ).fetchone()
        counts["contacts"] = int(row[0]) if row else 0
        # A rejected line goes with the runs that read it before the date, and with the
        # instants it holds when all are before it: a later ingest leaves such a line out.
        row = con.execute(
            """DELETE FROM rejects WHERE run_id IN (
                   SELECT run_id FROM ingest_runs WHERE started_at < $before)""",
            params,
        ).fetchone()
        counts["rejects"] = (int(row[0]) if row else 0) + _prune_dated_rejects(con, before)
        history.forget_orphans(con)
        if counts["events"]:
            comment_tables.refresh(con)
    db.checkpoint(con, f"the prune before {before}")
    return Pruned(before, counts["events"], counts["touches"], counts["clicks"],
                  counts["contact_days"], counts["contacts"], counts["rejects"])  # fmt: skip


def _prune_dated_rejects(con: duckdb.DuckDBPyConnection, before: dt.date) -> int:
    """Delete the rejected lines every instant of which is before the date (as a later ingest
    leaves them out, history.dated_before), whichever run read them; return how many."""
    cut = dt.datetime.combine(before, dt.time())
    dated: list[int] = []
    cursor = con.execute("SELECT rowid, raw FROM rejects")
    while batch := cursor.fetchmany(10_000):
        dated += [rowid for rowid, raw in batch if history.dated_before(raw, cut)]
    if dated:
        con.execute("DELETE FROM rejects WHERE rowid IN (SELECT unnest($ids))", {"ids": dated})
    return len(dated)


def person_id(psid: str) -> str:
    """The id given to forget, stripped; a blank one refused (before any database is opened)."""
    psid = psid.strip()
    if not psid:
        raise ValidationError("give the PSID, chat plugin user_ref or commenter id to forget")
    return psid


def forget(
    con: duckdb.DuckDBPyConnection,
    psid: str,
    page_id: str | None,
    privacy: Privacy,
    committed: Callable[[], object] | None = None,
) -> Forgot:
    """Remove every row of one person (on one page or all) and remember to leave them out.

    The id is a PSID, a chat plugin user_ref or a commenter id (a comment's from.id), in a
    salted database also as stored (see _stored): rows are
    matched on the column that holds that kind of id, `commenter_id` for comments, never by
    joining one kind to another. The counts are per table, a commenter's comments and their other
    feed changes (reactions…) apart from other events. A person forgotten again (on that page,
    or on every page) is recorded once. committed: called at its COMMIT (db.transaction).
    """
    psid = person_id(psid)
    counts: dict[str, int] = {}
    # db.transaction: a commit the disk refuses is one error line, not a failed ROLLBACK's
    # traceback (the transaction is gone by then).
    with db.transaction(con, committed):
        privacy.check_scheme(con)  # the id as stored under another salt would match nothing
        _refuse_a_page_id(con, psid)
        stored = _stored(con, psid, privacy)
        page_clause = "" if page_id is None else " AND page_id = ?"
        params: list[object] = [stored] if page_id is None else [stored, page_id]
        for table in _PERSON_TABLES:
            row = con.execute(f"DELETE FROM {table} WHERE psid = ?{page_clause}", params).fetchone()
            counts[table] = int(row[0]) if row else 0
        # A send by phone number names no PSID: its event holds the number only in its key.
        counts["events"] += forgotten_sends.sent_to(con, psid, page_id, privacy)
        # A commenter's comments, and apart from them the rest of their feed activity
        # (reactions, likes, shares…), which keeps their id as its commenter id too.
        for key, kind in (("comments", "kind = 'comment'"), ("feed_changes", "kind <> 'comment'")):
            row = con.execute(
                f"DELETE FROM events WHERE commenter_id = ? AND {kind}{page_clause}", params
            ).fetchone()
            counts[key] = int(row[0]) if row else 0
        # The comment tables read comments, private replies and echoes: no other feed change.
        if counts["events"] or counts["comments"]:
            comment_tables.refresh(con)
        counts["rejects"] = _forget_in_rejects(con, psid, stored, privacy)
        already = _remember(con, forgotten_hash(stored), page_id)
    return Forgot(counts, already)


def _remember(con: duckdb.DuckDBPyConnection, id_hash: str, page_id: str | None) -> str | None:
    """Record a forgotten id once: not again where a row already covers it (that page, or every
    page), which is returned (`*` for every page); forgotten on every page, its rows of single
    pages go."""
    (covered,) = con.execute(
        """SELECT min(coalesce(page_id, '*')) FROM forgotten
           WHERE id_hash = $h AND (page_id IS NULL OR page_id = $page)""",
        {"h": id_hash, "page": page_id},
    ).fetchone() or (None,)
    if covered is not None:
        return str(covered)
    if page_id is None:
        con.execute("DELETE FROM forgotten WHERE id_hash = ?", [id_hash])
    con.execute(
        "INSERT INTO forgotten VALUES (?, ?, ?)",
        [id_hash, page_id, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
    )
    return None


def _stored(con: duckdb.DuckDBPyConnection, given: str, privacy: Privacy) -> str:
    """The id as the database holds it: given hashed with the salt, or, in a salted database,
    given itself when it is a stored id that rows hold (copied from the dashboard or a query)
    and its hash is held by none. In any case, as the dashboard's search takes it (a copy a
    spreadsheet upper-cased): stored ids are lower case."""
    stored = privacy.stored_id(given)
    if privacy.salt is None or not STORED_ID.fullmatch(given.lower()):
        return stored

    def held(an_id: str) -> bool:
        (found,) = con.execute(
            """SELECT EXISTS (SELECT 1 FROM events WHERE psid = $id OR commenter_id = $id)
                   OR EXISTS (SELECT 1 FROM contacts WHERE psid = $id)
                   OR EXISTS (SELECT 1 FROM touches WHERE psid = $id)
                   OR EXISTS (SELECT 1 FROM contact_history WHERE psid = $id)""",
            {"id": an_id},
        ).fetchone() or (False,)
        return bool(found)

    return given.lower() if held(given.lower()) and not held(stored) else stored


def _refuse_a_page_id(con: duckdb.DuckDBPyConnection, given: str) -> None:
    """A page's id names no person: the page's own comments keep it as their commenter id (with
    a salt too), so forgetting it would take them from the comment funnel, and from every later
    ingest, for good."""
    (known,) = con.execute(
        """SELECT EXISTS (SELECT 1 FROM pages WHERE page_id = $id)
               OR EXISTS (SELECT 1 FROM events WHERE page_id = $id)""",
        {"id": given},
    ).fetchone() or (False,)
    if known:
        raise ValidationError(
            f"{given} is a page's id, no person's (the page's own comments hold it): nothing "
            "was forgotten; give the PSID, user_ref or commenter id of the person"
        )


def _forget_in_rejects(
    con: duckdb.DuckDBPyConnection, given: str, stored: str, privacy: Privacy
) -> int:
    """Blank the id out of rejected lines (which stay accounted for) in every form a line may
    hold it: as Privacy.redact shows it, as stored, and as given, and the name beside it in a
    comment's `from` object, and the texts of the items holding it. Only a whole id goes (not
    the same digits inside a longer number or name), and the hashed forms go first, so that a
    short id given cannot break one of them apart."""
    shown = given if privacy.salt is None else shown_stored(stored)
    forms = list(dict.fromkeys([shown, stored, given]))
    # An underscore parts ids (Meta writes <post>_<comment>; a mid may hold ids between them).
    patterns = [f"(^|[^A-Za-z0-9.-]){re.escape(form)}([^A-Za-z0-9.-]|$)" for form in forms]
    expr = "raw"
    for _ in forms:
        # Twice: a match takes the character after it, which may be the one before the next.
        expr = (
            f"regexp_replace(regexp_replace({expr}, ?, '\\1{FORGOTTEN}\\2', 'g'), ?, "
            f"'\\1{FORGOTTEN}\\2', 'g')"
        )
    for _ in FORGOTTEN_NAMES:  # and the name beside it in a comment's `from`
        expr = f"regexp_replace({expr}, ?, ?, 'g')"
    found = " OR ".join("regexp_matches(raw, ?)" for _ in forms)
    # A line of UTF-16 text read as UTF-8 has a zero byte beside each character: without them,
    # where the id is in it, so that it is found (as an ingest keeps such a line, privacy.py).
    bare = "replace(raw, chr(0), '')"
    con.execute(f"UPDATE rejects SET raw = {bare} WHERE contains(raw, chr(0)) AND "
                f"({found.replace('(raw,', f'({bare},')})", patterns)  # fmt: skip
    names = [x for pair in FORGOTTEN_NAMES for x in pair]
    params = [x for pat in patterns for x in (pat, pat)] + names + patterns
    row = con.execute(f"UPDATE rejects SET raw = {expr} WHERE {found}", params).fetchone()
    # And the texts of the items that held it (a regular expression cannot tell the items of a
    # line apart): the lines that hold a forgotten id, read string by string.
    held = con.execute(
        "SELECT rowid, raw FROM rejects WHERE contains(raw, ?)", [FORGOTTEN]
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in held if (new := _their_words_out(raw)) != raw]
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)
    return int(row[0]) if row else 0


def _their_words_out(raw: str) -> str:
    """A line holding FORGOTTEN without the texts of the items holding it, and then without the
    name beside it in a `from` object, also where the id came as a JSON number (made a JSON
    string by the first step, which the names' patterns look for)."""
    line = without_forgotten_texts(raw)
    for pattern, named in FORGOTTEN_NAMES:
        line = re.sub(pattern, named, line)
    return line
