"""The dashboard's global filters: a date range, pages and channels, and the period before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from ingest.privacy import STORED_ID
from ingest.wording import counted


@dataclass(frozen=True)
class Filters:
    """The sidebar's global filters: an inclusive date range, pages and channels (empty = all)."""

    start: dt.date
    end: dt.date
    pages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    # The days a preset asked for ("Last 28 days") when a prune cut the range shorter: what a
    # rolling report of the same choice asks for, once the cut is no longer inside it.
    asked_days: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def rolling_days(self) -> int:
        """The length of a rolling report of these filters (`refscope report --days N`)."""
        return self.asked_days or self.days

    def previous(self) -> Filters:
        """The period before, of the same length, shifted by whole weeks so weekdays align."""
        shift = dt.timedelta(days=7 * -(-self.days // 7))
        return replace(self, start=self.start - shift, end=self.end - shift)

    def params(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "pages": list(self.pages),
            "channels": list(self.channels),
        }


def spend_gap(
    f: Filters,
    first: dt.date | None,
    last: dt.date | None,
    missing: Sequence[dt.date] = (),
    known: bool = True,
) -> str:
    """What to say when the pulled ad insights (first to last day, but for the missing days
    between two pulls) cover the range only in part: its spend then counts some days only, and
    its cost per contact is understated. "" when they cover it all, when there are none (a
    page says that on its own), or when the channel filter leaves out the ads (no spend counts).
    known: the range's spend is known (queries.kpis); when it is not and every day of the range
    lies between two pulls, there is no spend to be understated."""
    if first is None or last is None or (f.channels and "ctm_ad" not in f.channels):
        return ""
    if f.end < first or f.start > last:
        return (f"Ad insights are pulled for {first} – {last}, none of this range: it counts no "
                "ad spend.")  # fmt: skip
    if not known and first <= f.start and f.end <= last and len(missing) >= f.days:
        return (f"Ad insights are pulled for {first} – {last}, but not for this range: no pull "
                f"asked for its {counted(len(missing), 'day')} ({_spans(missing)}), so its ad "
                "spend and cost per contact are not known (refscope pull ads fetches those "
                "days).")  # fmt: skip
    days = counted(len(missing), "day")
    gap = f"no pull asked for {days} of it ({_spans(missing)})" if missing else ""
    if f.start < first or f.end > last:
        lo, hi = max(f.start, first), min(f.end, last)
        covered = f"Ad insights cover {lo} – {hi} of this range (pulled for {first} – {last})"
        note = f"{covered}, and {gap}" if gap else covered
    elif gap:
        note = f"Ad insights cover this range but for the days between pulls: {gap}"
    else:
        return ""
    which = "the pulled days" if gap else "those days"
    return (f"{note}: spend counts {which} only, so cost per contact is understated "
            "(refscope pull ads fetches the other days).")  # fmt: skip


def partial_weeks(f: Filters, weeks: Collection[dt.date]) -> str:
    """What to say beside weekly cohorts (Monday to Sunday) when the range starts or ends
    mid-week: its first or last cohort week holds only some of its days, so fewer contacts than
    a whole week would. weeks: the Mondays of the cohorts shown; a cut week without a cohort
    (no contact in its days) is not named. "" when neither is cut or shown."""
    first, last = (d - dt.timedelta(days=d.weekday()) for d in (f.start, f.end))
    if first == last:
        if f.days == 7 or first not in weeks:
            return ""
        return (f"The only cohort week, of {first}, holds only {f.days} of its 7 days (the range "
                f"is {f.start} – {f.end}): its contacts are those days' alone.")  # fmt: skip
    head = 7 - f.start.weekday() if f.start != first and first in weeks else 0
    tail = f.end.weekday() + 1 if f.end.weekday() < 6 and last in weeks else 0
    starts = f"the range starts on {f.start:%A} {f.start}"
    ends = f"ends on {f.end:%A} {f.end}"
    if head and tail:
        said = (f"The first cohort week, of {first}, holds only {head} of its 7 days ({starts}), "
                f"and the last, of {last}, only {tail} (it {ends}): their")  # fmt: skip
    elif head:
        said = f"The first cohort week, of {first}, holds only {head} of its 7 days ({starts}): its"
    elif tail:
        said = (f"The last cohort week, of {last}, holds only {tail} of its 7 days (the range "
                f"{ends}): its")  # fmt: skip
    else:
        return ""
    return f"{said} contacts are those days' alone."


_SPANS_SHOWN = 3  # runs of days a note names; the rest it counts


def _spans(days: Sequence[dt.date]) -> str:
    """Days as runs: "2023-11-05 – 2023-11-07, 2023-11-12", the first few and how many more."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    shown = [f"{r[0]} – {r[-1]}" if len(r) > 1 else str(r[0]) for r in runs[:_SPANS_SHOWN]]
    if len(runs) > _SPANS_SHOWN:
        shown.append(counted(len(runs) - _SPANS_SHOWN, "more stretch", "more stretches"))
    return ", ".join(shown)


# The pick of the ad contacts whose referral named no ad (source ADS without an ad_id): the Ads
# page's row of them.
UNKNOWN_AD = "(unknown ad)"


# The Contacts page's pick of the link contacts without a ref (ContactPick.refless): the
# contacts and re-entries Links & QR codes says came through no ref.
NO_REF = "(no ref)"


# What the Contacts page lists (ContactPick.show): the contacts acquired in the range, those
# reachable at its end (the Overview's "Reachable at the end (24 h)", whenever acquired), or
# the range's re-entries (a row each, as the channel totals and Links & QR codes count them).
ACQUIRED, REACHABLE, REENTRIES = "acquired", "reachable", "reentries"
SHOWS = (ACQUIRED, REACHABLE, REENTRIES)

# The Contacts page's URL parameters (contact_url.py): its Show, search and picks, named as a
# download records them. The sidebar keeps them when it writes its filters into the URL.
CONTACT_PARAMS = ("show", "search", "ref", "ref_page", "refless", "ad_id", "post_id",
                  "post_page", "referer_uri", "engaged")  # fmt: skip


@dataclass(frozen=True)
class ContactPick:
    """The Contacts page's picks that narrow its rows to those behind one figure of another
    page: exact values (None = any)."""

    ref: str | None = None  # an m.me link or QR code ref (Links & QR codes)
    # The page of that ref: the same ref on two pages is two links, each a row of its own.
    ref_page: str | None = None
    # The link contacts without a ref (m.me/<page> alone, a legacy code): what queries.refless
    # counts and no ref's row does.
    refless: bool = False
    ad_id: str | None = None  # a Click-to-Messenger ad (Ads), or UNKNOWN_AD
    post_id: str | None = None  # the post of a comment reply (Comments)
    post_page: str | None = None  # its page: "(unknown post)" is a row of each page there
    referer_uri: str | None = None  # a website page of the chat plugin (Website chat)
    engaged: bool | None = None  # sent a second message, or not
    show: str = ACQUIRED  # which contacts the picks narrow: one of SHOWS

    def __post_init__(self) -> None:
        if self.show not in SHOWS:
            raise ValueError(f"show {self.show!r} is not one of {', '.join(SHOWS)}")

    def params(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "ref_page": self.ref_page,
            "refless": self.refless,
            "ad_id": self.ad_id,
            "post_id": self.post_id,
            "post_page": self.post_page,
            "referer_uri": self.referer_uri,
            "engaged": self.engaged,
        }

    def described(self) -> dict[str, str]:
        """The picks made, as text (written into a download with its filters)."""
        out = {
            k: str(v)
            for k, v in self.params().items()
            if v is not None and k not in ("engaged", "refless")
        }
        if self.refless:
            out["refless"] = "yes"
        if self.engaged is not None:
            out["engaged"] = "yes" if self.engaged else "no"
        if self.show != ACQUIRED:
            out["show"] = self.show
        return out


@dataclass(frozen=True)
class ContactSearch:
    """The Contacts page's search: its text and, in a salted database whose salt the dashboard
    has, that text as the database stores an id (HMAC-SHA256 with the salt: stored_id), which
    finds the contact of a PSID or user_ref typed whole."""

    text: str = ""
    stored_id: str | None = None

    def described(self, psids: Iterable[str]) -> dict[str, str]:
        """The search as found: its text, but for an id typed that found its contact among
        psids (the rows the search found), the id as stored, as the psid column holds it: a
        salted database's files and links name nobody by the id Meta gave. What the URL and a
        download record is contact_widgets.recorded, built on it."""
        if self.stored_id is not None and self.stored_id in set(psids):
            return {"search": self.stored_id}
        return {"search": self.text}

    @property
    def as_stored(self) -> bool:
        """Whether the text is an id as a salted database stores it (64 hex digits, as the psid
        column and a found contact's URL hold it): no PSID or user_ref as Meta gives it. In any
        case, as the search finds it (a copy a spreadsheet upper-cased finds its contact)."""
        return STORED_ID.fullmatch(self.text.lower()) is not None
