"""What an older refscope stored and this one would not, made right at a writer's connect.

As schema.sql adds what is missing, each migration runs once: each changes nothing the second
time, but scans every event (or reject). How many a database has had is kept in the file
itself, as the comment of its `events` table (db.MIGRATED); a database made by this refscope
needs none.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from . import comment_tables, history
from .page_urls import page_of_sql, referers_cut
from .privacy import Privacy, salt_setting
from .reject_text import (
    FORGOTTEN,
    contacts_beside_removed_texts,
    phone_numbers_shown,
    without_forgotten_texts,
    without_names,
)
from .shared_contact import PHONE_REMOVED, removed_sql
from .tokens import without_tokens

# A quick reply's payload that is the person's email address or phone number was kept by older
# refscopes where its text was not: on a message whose text was not kept (NULL, beside the
# length it had) it is replaced as an ingest without --keep-text now stores it (shared_contact).
_PAYLOAD = removed_sql("quick_reply_payload")


def migrate_event_contacts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""UPDATE events SET quick_reply_payload = {_PAYLOAD}
        WHERE text IS NULL AND text_length IS NOT NULL AND quick_reply_payload IS NOT NULL
          AND quick_reply_payload <> {_PAYLOAD}""")


def migrate_reject_contacts(con: duckdb.DuckDBPyConnection) -> None:
    """The same for rejected lines: older refscopes replaced a line's text by its placeholder
    (salted without --keep-text; a forgotten person's) and kept the quick reply's payload beside
    it. Such a payload is replaced as an ingest or a forget now does (reject_text); a line whose
    texts were kept keeps its payloads. Changes nothing the second time."""
    rows = con.execute(
        # Only lines with a payload that may be one (an @ in it, or phone number characters
        # only, long digits maybe shown hashed), so that the lines already made right, and the
        # team's payloads, are not read into Python.
        r"""SELECT rowid, raw FROM rejects
            WHERE contains(raw, 'quick_reply') AND contains(raw, '<text removed: ')
              AND regexp_matches(raw, '"payload\\?"\s*:\s*\\?"(?:[^"\\]*@|'
                                      || '(?:[0-9 ().+-]|id:[0-9a-f]{16})+(?:\\?"|$))')"""
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in rows
               if (new := contacts_beside_removed_texts(raw)) != raw]  # fmt: skip
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)


def migrate_reject_tokens(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes kept a rejected line's tokens (an access token in a saved Graph API
    answer's `paging.next` or quoted by its error, an opt-in's notification token) in its text,
    and the quoted access token in its reason: each becomes `<token removed>`, as an ingest now
    stores it (tokens.py). Changes nothing the second time."""
    rows = con.execute(
        """SELECT rowid, raw, reason FROM rejects
           WHERE contains(lower(raw), 'token') OR contains(lower(reason), 'token')"""
    ).fetchall()
    changed = [(new_raw, new_reason, rowid) for rowid, raw, reason in rows
               if (new_raw := without_tokens(raw), new_reason := without_tokens(reason))
               != (raw, reason)]  # fmt: skip
    if changed:
        con.executemany("UPDATE rejects SET raw = ?, reason = ? WHERE rowid = ?", changed)


SALTED_UNRECORDED = "salted:?"  # hashed ids whose salt the data does not record (see salted_scheme)


def salted_scheme(con: duckdb.DuckDBPyConnection) -> str | None:
    """The database's `id_scheme` when its ids are stored hashed, else None. A database made
    before `id_scheme` was kept has no row there (its first salted ingest records it, after
    this has run), and a lake (the dashboard's --lake) no such table: a sample of its stored ids
    tells, as Privacy.check_scheme reads it, and SALTED_UNRECORDED stands for its salt."""
    (held,) = con.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE database_name = current_database() AND table_name = 'id_scheme'"""
    ).fetchone() or (0,)
    row = (
        con.execute("SELECT any_value(scheme), count(*) FROM id_scheme").fetchone()
        if held
        else None
    )
    if row is not None and row[1]:
        return str(row[0]) if str(row[0]).startswith("salted:") else None
    (hashed,) = con.execute(  # the page's own comments keep its id, hashed or not
        """SELECT bool_and(regexp_full_match(id, '[0-9a-f]{64}')) FROM (
               SELECT coalesce(psid, nullif(commenter_id, page_id)) AS id FROM events
               WHERE id IS NOT NULL LIMIT 100)"""
    ).fetchone() or (None,)
    return SALTED_UNRECORDED if hashed else None


def migrate_reject_names(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes kept a person's name in a salted database's rejected lines (a commenter's
    `from.name`, a send's recipient's `name.first_name` and `name.last_name`) beside ids shown
    hashed: each becomes `<name removed>`, as a salted ingest now stores it. A database without
    a salt keeps its lines as they came. Changes nothing the second time."""
    if salted_scheme(con) is None:
        return
    rows = con.execute(
        r"""SELECT rowid, raw FROM rejects WHERE regexp_matches(raw, 'name\\?"\s*:')"""
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in rows if (new := without_names(raw)) != raw]
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)


def migrate_reject_phone_numbers(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes kept a send's recipient's `phone_number` in a salted database's rejected
    lines (a send by phone number) beside ids shown hashed, but for a run of 10 digits or more
    (`+1(212)555-2368` stayed whole): each is shown as `id:` and its hash, as a salted ingest now
    stores it, when the database's own salt is set (a `forget` of the number still finds it),
    else as `<phone number removed>`. A database without a salt keeps its lines as they came.
    Changes nothing the second time."""
    scheme = salted_scheme(con)
    if scheme is None:
        return
    privacy = Privacy(salt=salt_setting())
    # Without the salt (or with another) the number cannot be shown as an ingest shows it; a
    # database made before id_scheme took any salt (as Privacy.check_scheme does).
    same = privacy.scheme() == scheme or (scheme == SALTED_UNRECORDED and privacy.salt is not None)
    shown: Callable[[str], str] = privacy.shown_id if same else lambda _number: PHONE_REMOVED
    rows = con.execute(
        "SELECT rowid, raw FROM rejects WHERE contains(raw, 'phone_number')"
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in rows
               if (new := phone_numbers_shown(raw, shown)) != raw]  # fmt: skip
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)


def migrate_last_touch_source(con: duckdb.DuckDBPyConnection) -> None:
    """contact_history.last_touch (the touch a prune removed last) gains the touch's source, so
    that a relabel treats it as a live touch (links.relabel); an older prune's gets the
    acquisition's when it is that touch (history.FILL_SOURCE), else none. Changes nothing the
    second time."""
    con.execute("ALTER TABLE contact_history ADD COLUMN IF NOT EXISTS last_touch.source VARCHAR")
    con.execute(history.FILL_SOURCE)


def migrate_forgotten_message_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes' `forget` (and ingests leaving a forgotten person out) kept the message
    ids (`mid`, `mids`, `message_id`) of the items of a rejected line that held a forgotten id,
    which Graph resolves to the person: each becomes `<forgotten>`, as a forget now makes it
    (reject_text.without_forgotten_texts). Changes nothing the second time."""
    _forgotten_again(con, "mid", "message_id")


def migrate_forgotten_comment_ids(con: duckdb.DuckDBPyConnection) -> None:
    """The same for comment ids (comment_ids.is_comment_id: a `comment_id`, a private reply's
    `recipient.post_id`, an echo's `metadata` naming the comment), which Graph resolves to their
    author. Changes nothing the second time."""
    _forgotten_again(con, "comment_id", "post_id", "metadata")


def migrate_object_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes quoted a line's `object` whole in its `unsupported object` reason,
    whatever it held (a person's id or words, also in a salted database): each is said in
    today's words, quoted only when it looks like an object's name, else what it is
    (reasons.object_reason_now). Changes nothing the second time."""
    # Here, not at the top: every writer imports this module, and reasons.py loads NumPy.
    from .reasons import object_reason_now

    rows = con.execute(
        "SELECT rowid, reason FROM rejects WHERE contains(reason, 'unsupported object ')"
    ).fetchall()
    changed = [(new, rowid) for rowid, reason in rows
               if (new := object_reason_now(reason)) != reason]  # fmt: skip
    if changed:
        con.executemany("UPDATE rejects SET reason = ? WHERE rowid = ?", changed)


def _forgotten_again(con: duckdb.DuckDBPyConnection, *words: str) -> None:
    """The rejected lines holding FORGOTTEN and one of words made as a forget now makes them
    (reject_text.without_forgotten_texts)."""
    held = " OR ".join("contains(raw, ?)" for _ in words)
    rows = con.execute(
        f"SELECT rowid, raw FROM rejects WHERE contains(raw, ?) AND ({held})", [FORGOTTEN, *words]
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in rows if (new := without_forgotten_texts(raw)) != raw]
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)


def migrate_salted_referer_uris(con: duckdb.DuckDBPyConnection) -> None:
    """Older refscopes stored a referral's `referer_uri` whole in a salted database, its query and
    fragment too (`?email=…`, a token): in events, touches, contacts, contact_history and a
    rejected line each is cut to its page as a salted ingest now stores it (page_urls). A
    database without a salt keeps them as they came. Changes nothing the second time."""
    if salted_scheme(con) is None:
        return
    page = page_of_sql("referer_uri")
    for table in ("events", "touches", "contacts", "contact_history"):
        con.execute(f"UPDATE {table} SET referer_uri = {page} WHERE referer_uri <> {page} "
                    f"OR (referer_uri IS NOT NULL AND {page} IS NULL)")  # fmt: skip
    rows = con.execute(
        "SELECT rowid, raw FROM rejects WHERE contains(raw, 'referer_uri')"
    ).fetchall()
    changed = [(new, rowid) for rowid, raw in rows if (new := referers_cut(raw)) != raw]
    if changed:
        con.executemany("UPDATE rejects SET raw = ? WHERE rowid = ?", changed)


MIGRATIONS: tuple[Callable[[duckdb.DuckDBPyConnection], None], ...] = (
    migrate_event_contacts,
    migrate_reject_contacts,
    migrate_reject_tokens,
    migrate_reject_names,
    migrate_reject_phone_numbers,
    comment_tables.refresh,  # the tables it keeps from events, as an ingest now does
    migrate_last_touch_source,
    migrate_forgotten_message_ids,
    migrate_salted_referer_uris,
    migrate_forgotten_comment_ids,
    migrate_object_reasons,
)
