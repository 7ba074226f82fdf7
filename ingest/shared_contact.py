"""A quick reply payload that is a person's own email address or phone number.

Messenger's (and Instagram's) `user_email` and `user_phone_number` quick replies show the
person's email address or phone number from their profile; tapped, it is posted as the
message's text and sent in `message.quick_reply.payload`
(https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies/#phone,
#email). The webhook does not say which kind of quick reply was tapped, so the payload's shape
does: such a payload is no team's own string but what the person sent, and goes where their
text goes. One test for Python (rejected lines) and DuckDB (events): RE2 takes the patterns.
"""

from __future__ import annotations

import re

EMAIL_REMOVED = "<email removed>"
PHONE_REMOVED = "<phone number removed>"

# An address as people have them: no quote, colon, comma or space (a team's JSON payload holding
# an address is not one), a dotted domain. Letters beyond ASCII count (internationalised ones).
_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7F])+"
_LABEL = r"(?:[A-Za-z0-9-]|[^\x00-\x7F])+"
EMAIL = rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+"
# A phone number: digits with an optional leading + and spaces, dashes, dots or brackets between
# them, 7 to 15 digits in all (E.164's longest), nothing else; but not a date (2024-05-06).
PHONE = r"\+?[0-9( ][0-9 ().-]*[0-9]"
PHONE_DIGITS = (7, 15)
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

# The start of one, as a line cut off inside the payload holds it: an address up to its @ or
# beyond (one character class per repeat: no backtracking to speak of), or phone characters.
_EMAIL_START = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9.-]|[^\x00-\x7F])*")
_PHONE_START = re.compile(r"\+?[0-9( ][0-9 ().-]*")
_EMAIL = re.compile(EMAIL)
_PHONE = re.compile(PHONE)
_DATE = re.compile(DATE)
_DIGIT = re.compile(r"[0-9]")
_SPACE = " \t\r\n"


def removed(payload: str | None) -> str | None:
    """What replaces a payload that is an email address or a phone number (spaces around it
    do not count), or None for any other payload: the team's own."""
    if payload is None:
        return None
    value = payload.strip(_SPACE)
    if _EMAIL.fullmatch(value):
        return EMAIL_REMOVED
    low, high = PHONE_DIGITS
    phone = _PHONE.fullmatch(value) and not _DATE.fullmatch(value)
    if phone and low <= len(_DIGIT.findall(value)) <= high:
        return PHONE_REMOVED
    return None


def removed_start(cut: str) -> str | None:
    """What replaces a payload that the end of a line cut off (a rejected line) when what is left
    of it is an email address or a phone number, or the start of one (an address to its @ at
    least; phone characters, a digit among them, no more than a number's 15 digits): what
    the person sent can no longer be told from it, and its start names them as well."""
    value = cut.lstrip(_SPACE)
    if _EMAIL_START.fullmatch(value):
        return EMAIL_REMOVED
    digits = len(_DIGIT.findall(value))
    if _PHONE_START.fullmatch(value) and 0 < digits <= PHONE_DIGITS[1]:
        return PHONE_REMOVED
    return removed(cut)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def removed_sql(x: str) -> str:
    """removed() in DuckDB SQL: the column or expression x, or its replacement."""
    low, high = PHONE_DIGITS
    value = f"trim({x}, {_literal(_SPACE)})"
    return f"""CASE
        WHEN regexp_full_match({value}, {_literal(EMAIL)}) THEN {_literal(EMAIL_REMOVED)}
        WHEN regexp_full_match({value}, {_literal(PHONE)})
             AND NOT regexp_full_match({value}, {_literal(DATE)})
             AND length(regexp_replace({value}, '[^0-9]', '', 'g')) BETWEEN {low} AND {high}
        THEN {_literal(PHONE_REMOVED)}
        ELSE {x} END"""
