"""The rules of a tracked link's parts: its ref, its page (a username or a numeric id), a
redirect server's address, its channel; and the naming convention that builds a ref.

Every refusal names the rule it broke, and which part of it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit

from .errors import ValidationError
from .url_check import ascii_url, case_folded, idna_mapped, url_problem
from .wording import counted

# Meta allows refs up to 2,083 URL-encoded characters of [A-Za-z0-9_=-]; 250 keeps every ref
# safe in any QR code and spreadsheet.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
REF_RULE = "a ref uses only A-Z a-z 0-9 _ - = and has 1 to 250 characters"
# Meta's page ids are positive integers, written without leading zeros: "0" or "0123456" is
# no page's id (as text it would never match the id webhooks carry). The Graph API gives ids as
# numeric strings of 64-bit integers (page ids have some 15 digits); the largest such integer
# has 20 digits, so a longer number is a paste gone wrong (two ids run together), never a page's
# id.
# https://developers.facebook.com/docs/graph-api/reference/page/
PAGE_ID_DIGITS = 20
PAGE_ID_RULE = (
    f"a page id is numeric, a positive number not starting with 0, of at most {PAGE_ID_DIGITS} "
    "digits"
)
# Facebook's username guidelines: letters, digits and periods, at least 5 characters, no
# extension such as .com; at least one letter (all digits is a page id); 50 at most. Periods
# and capitalization do not tell usernames apart (username_key), nor count as part of one:
# 'a....' is the username 'a', and the 5 are letters and digits.
# https://www.facebook.com/help/105399436216001
PAGE_RULE = (
    "a page is a Facebook username (5 to 50 ASCII letters, digits and periods, with at least 5 "
    "letters or digits, one a letter, and no .com or .net ending) or a numeric page id (not "
    f"starting with 0, at most {PAGE_ID_DIGITS} digits)"
)
USERNAME_RULE = (
    "a username has 5 to 50 ASCII letters, digits and periods, with at least 5 letters or "
    "digits, one a letter, and no .com or .net ending (all digits is a page id)"
)
# A link's notes say what it is for ("flyer, Main St window"); 10,000 characters is pages of
# that, and at most 20,000 UTF-16 units, so notes always fit an XLSX cell whole (32,767).
NOTES_MAX = 10_000
NOTES_RULE = f"a link's notes have at most {NOTES_MAX:,} characters"
_REF = re.compile(r"[A-Za-z0-9_=-]{1,250}")
# re.ASCII: with Unicode case folding, IGNORECASE lets 'ſ' match [s] and the Kelvin sign [k].
_USERNAME = re.compile(
    r"(?=.*[A-Za-z])(?=(?:\.*[A-Za-z0-9]){5})(?!.*\.(?:com|net)$)[A-Za-z0-9.]{5,50}",
    re.IGNORECASE | re.ASCII,
)
_PAGE_ID = re.compile(rf"[1-9][0-9]{{0,{PAGE_ID_DIGITS - 1}}}")
LINK_CHANNELS = {"link": "m_me_link", "qr": "qr_code"}
REF_MAX = 250


def username_key(page: str) -> str:
    """A page's name as Facebook tells usernames apart: periods and capitalization do not
    (johnsmith55, John.Smith55 and john.smith.55 are one username; a page id has neither).
    username_key_sql spells it in SQL."""
    return page.replace(".", "").lower()


def username_key_sql(expr: str) -> str:
    """username_key in SQL, over expr (a column or a parameter)."""
    return f"replace(lower({expr}), '.', '')"


def same_username_sql(left: str, right: str) -> str:
    """SQL: left and right name the same username (see username_key)."""
    return f"{username_key_sql(left)} = {username_key_sql(right)}"


def username_unknown_sql(page_id: str) -> str:
    """SQL: `pages` knows no username for page_id, so a link registered by a username it does not
    map may be that page's (found by the ref alone)."""
    return f"{page_id} NOT IN (SELECT page_id FROM pages WHERE username IS NOT NULL)"


def check_ref(ref: str) -> str:
    if not _REF.fullmatch(ref):
        raise ValidationError(f"invalid ref {_shown(ref)} ({_ref_fault(ref)}): {REF_RULE}")
    return ref


def check_page(page: str) -> str:
    if _PAGE_ID.fullmatch(page) or _USERNAME.fullmatch(page):
        return page
    raise ValidationError(f"invalid page {_shown(page)} ({_page_fault(page)}): {PAGE_RULE}")


def is_page_id(value: str) -> bool:
    return _PAGE_ID.fullmatch(value) is not None


def too_many_digits(value: str) -> str | None:
    """What a number that would be a page id but for its length breaks ("21 digits"), or None."""
    if re.fullmatch("[1-9][0-9]*", value) and len(value) > PAGE_ID_DIGITS:
        return f"{len(value)} digits"
    return None


def check_page_id(page_id: str) -> str:
    check_page(page_id)
    if not is_page_id(page_id):
        raise ValidationError(f"invalid page id {_shown(page_id)}: {PAGE_ID_RULE}")
    return page_id


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            f"invalid username {_shown(username)} ({_username_fault(username)}): {USERNAME_RULE}"
        )
    return username


def check_notes(notes: str | None) -> str | None:
    """The notes without surrounding spaces (they never change what they mean), None when
    empty; longer than NOTES_MAX refused (a paste gone wrong, never the purpose of a link)."""
    notes = (notes or "").strip() or None
    if notes is not None and len(notes) > NOTES_MAX:
        raise ValidationError(f"notes of {len(notes):,} characters: {NOTES_RULE}")
    return notes


# A link's registration time, as `links list --format csv` writes it (2026-03-14T09:30:12.123456Z)
# or any ISO 8601 date and time; refscope keeps every time in UTC.
CREATED_RULE = (
    "created is a date and time in ISO 8601, as `links list --format csv` writes it "
    "(2026-03-14T09:30:12Z; with an offset, +01:00, it is turned to UTC, without one it is UTC; "
    "a date alone is its midnight UTC), or empty for the time of the import"
)


# A link is registered before it is listed and imported: a created time after now is a typo
# (2062 for 2026) or another clock's. Minutes of skew between two machines' clocks are allowed.
CREATED_SKEW = dt.timedelta(minutes=5)
FUTURE_RULE = (
    "a link cannot have been created after the import: created is at most "
    f"{CREATED_SKEW.seconds // 60} minutes (clocks' skew) after now"
)


def check_created(created: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """The registration time a links CSV gives, in UTC without its zone (as tracked_links keeps
    created_at); None when empty (registered now). Later than now (UTC, naive; the clock's when
    not given) by more than CREATED_SKEW is refused."""
    text = (created or "").strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
        when = when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when
    except (ValueError, OverflowError):  # no such time, or one beyond year 1 to 9999 in UTC
        raise ValidationError(f"invalid created time {_shown(text)}: {CREATED_RULE}") from None
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if when > now + CREATED_SKEW:
        raise ValidationError(
            f"created time {_shown(text)} is in the future ({when:%Y-%m-%d %H:%M:%S} UTC, now "
            f"{now:%Y-%m-%d %H:%M:%S} UTC): {FUTURE_RULE}"
        )
    return when


_SHOWN = 60  # characters of a refused value an error message quotes


def _shown(value: str) -> str:
    """A refused value, quoted; a long one cut, and marked as cut (the rest is not "missing")."""
    return repr(value) if len(value) <= _SHOWN else f"{value[:_SHOWN]!r}…"


def _first_bad(value: str, allowed: str) -> str | None:
    """The first character outside the class `allowed`, and where: "' ' at character 4"; one
    beyond ASCII named too, as a Cyrillic 'а' or a Unicode hyphen looks like what is allowed:
    "'а' (U+0430 CYRILLIC SMALL LETTER A) at character 1"."""
    bad = re.search(f"[^{allowed}]", value)
    if not bad:
        return None
    char, where = bad.group(), f"at character {bad.start() + 1}"
    if char.isascii():
        return f"{char!r} {where}"
    name = f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()  # unassigned: no name
    return f"{char!r} ({name}) {where}"


def _spaces(value: str) -> str | None:
    """The whitespace around the value, said in words, or None: it is refused, never stripped
    (the value registered and encoded would not be the one given)."""
    if value == value.strip():
        return None
    return "leading or trailing whitespace" if value.strip() else "only whitespace"


def _ref_fault(ref: str) -> str:
    """Which part of REF_RULE the ref breaks (a long ref's bad character may lie past what the
    message quotes of it)."""
    return _spaces(ref) or _first_bad(ref, "A-Za-z0-9_=-") or f"{len(ref)} characters"


def _page_fault(page: str) -> str:
    """Which part of PAGE_RULE the page breaks."""
    if re.fullmatch("[0-9]+", page):  # all digits: a page id, but for its leading 0 or length
        if page.startswith("0"):
            return "a page id starting with 0"
        return f"a page id of {too_many_digits(page)}"
    return _name_fault(page, "no letter")


def _username_fault(name: str) -> str:
    """Which part of USERNAME_RULE the name breaks."""
    return _name_fault(name, "no letter: all digits is a page id")


def _name_fault(name: str, no_letter: str) -> str:
    """Which part of the rule a page username breaks: whitespace, a character, its length, no
    letter (said as no_letter), else its end."""
    if spaces := _spaces(name):
        return spaces
    if bad := _first_bad(name, "A-Za-z0-9."):
        return bad
    if not 5 <= len(name) <= 50:
        return f"{len(name)} characters"
    if not re.search("[A-Za-z]", name):
        return no_letter
    if (kept := len(name.replace(".", ""))) < 5:
        return f"{counted(kept, 'letter or digit', 'letters or digits')}: periods do not count"
    return f"ends in {name[-4:]}"


# user:password@ before the host: the netloc's userinfo (urlsplit's rule: up to its last '@'),
# and, to mask in a message, whatever stands before an '@' ahead of the first / ? or #.
_USERINFO = re.compile(r"\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")
_BEFORE_AT = re.compile(r"^(\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?/*)[^/?#]*@")
CREDENTIALS_RULE = (
    "a redirect address holds no user name or password (user:password@host): every link and "
    "printed code would carry it; give http(s)://host[:port][/path]"
)


def has_userinfo(url: str) -> bool:
    """Whether url holds a user name or password (user:password@) before its host."""
    return _USERINFO.match(url) is not None


def userinfo_masked(url: str) -> str:
    """url with what stands before an '@' ahead of its path shown as '…', fit for a message."""
    return _BEFORE_AT.sub(r"\1…@", url)


def check_base_url(url: str) -> str:
    """A redirect server's address: http(s), a host, nothing a QR scanner could trip on, and no
    credentials (a refusal never repeats them); returned in its ASCII form (url_check.ascii_url:
    a host beyond ASCII in IDNA, a path percent-encoded), which every QR reader opens, its
    scheme and host in lower case (url_check.case_folded: HTTPS://GO.EXAMPLE is the same
    address, and registers and compares as https://go.example)."""
    shown = userinfo_masked(url)[:80]
    if has_userinfo(url):
        raise ValidationError(
            f"invalid redirect address {shown!r} (a user name or password before '@'): "
            f"{CREDENTIALS_RULE}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError:  # an unclosed IPv6 bracket, a port such as 99999 or "abc"
        parts = None
    usable = (
        parts is not None
        and parts.scheme in ("http", "https")
        and parts.hostname
        and not parts.netloc.endswith(":")  # an empty port: no server listens there
        and parts.port != 0  # nor on port 0
        and not re.search(r"[\s?#]", url)  # even an empty '?' or '#' would cut /r/<ref> off
    )
    if not usable:
        raise ValidationError(
            f"invalid redirect address {shown!r}: give http(s)://host[:port][/path], "
            "with no spaces, query or fragment"
        )
    try:
        url = idna_mapped(url)  # fullwidth letters are ASCII ones; an emoji, refused
    except ValueError as exc:
        raise ValidationError(f"invalid redirect address {shown!r}: {exc}") from exc
    if problem := url_problem(url):  # a host no scanner's lookup takes: every code a dead end
        raise ValidationError(f"invalid redirect address {shown!r}: it {problem}")
    return case_folded(ascii_url(url))


def ascii_note(url: str, written: str) -> str | None:
    """What is said of a redirect address beyond ASCII, given as url and checked by
    check_base_url into written: the ASCII form links and codes carry. None for one that
    differs from written only in its scheme's or host's case (the same address)."""
    if written == case_folded(url):
        return None
    return f"the redirect address {url} is written {written} in links and codes (its ASCII form)"


def doubled_r_warning(written: str) -> str | None:
    """What is said of a redirect address (as check_base_url wrote it) whose path ends in /r,
    or None: its links are <address>/r/<ref>, which refscope serve answers only behind a proxy
    that serves it under that /r and takes it off the path (a setup that wants them, so they
    are made); given serve's own address with its /r/ typed on, every printed code is a 404."""
    base = written.rstrip("/")
    if not base.endswith("/r") or urlsplit(base).path.rsplit("/", 1)[-1] != "r":
        return None
    return (
        f"the redirect address {written} ends in /r, so links are {base}/r/<ref>: refscope "
        "serve answers them only behind a proxy that serves it under /r and takes that off; if "
        f"its /r/<ref> is {base}/<ref>, give {base.removesuffix('/r')}, or every printed code "
        "is a 404"
    )


def check_channel(channel: str) -> str:
    """The stored channel for link or qr (or the stored names themselves), in any case: a
    spreadsheet's "QR" is the same channel."""
    key = channel.strip().lower()
    if key in LINK_CHANNELS:
        return LINK_CHANNELS[key]
    if key in LINK_CHANNELS.values():
        return key
    raise ValidationError(f"invalid channel {channel!r}: use link or qr")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by underscores: 'Store #12' → 'store_12'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def conventional_ref(campaign: str | None, placement: str | None, month: dt.date) -> str:
    """The naming convention: campaign-placement-YYYY_MM, each part slugged.

    A ref longer than 250 characters loses the end of its campaign part, never its placement
    or month: two placements of one long campaign must still give two refs.
    """
    campaign_part, placement_part = slug(campaign or ""), slug(placement or "")
    if not (campaign_part or placement_part) and (campaign or placement):
        raise ValidationError(
            f"cannot build a ref from {campaign or placement!r}: a ref is made of its letters "
            "and digits A-Z 0-9, and it has none; give a ref"
        )
    if not (campaign_part or placement_part):
        raise ValidationError("without a ref, give a campaign and/or a placement to build one")
    month_part = month.strftime("%Y_%m")
    room = REF_MAX - len(month_part) - 1  # what the parts before "-YYYY_MM" may use
    if len(placement_part) > room:
        raise ValidationError(
            f"the placement makes {len(placement_part)} characters of the ref, and with its month "
            f"a ref has at most {REF_MAX} ({REF_RULE}): shorten the placement to {room} "
            "letters and digits, or give a ref"
        )
    room -= len(placement_part) + 1 if placement_part else 0
    campaign_part = campaign_part[: max(room, 0)].rstrip("_")
    parts = [p for p in (campaign_part, placement_part, month_part) if p]
    return check_ref("-".join(parts))
