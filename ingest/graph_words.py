"""What a Graph API error says beyond its code and message, and Meta's remedy for it, in the
words of a `pull ads` error message."""

from __future__ import annotations

from collections.abc import Callable


def code_of(err: object, key: str = "code") -> int:
    """The error object's numeric code (or another key's, error_subcode), 0 when it has none."""
    try:
        return int(err.get(key, 0)) if isinstance(err, dict) else 0
    except (TypeError, ValueError):
        return 0


def details(err: object, scrub: Callable[[str], str] = str) -> str:
    """What else Meta's error object says, for a message: its type, error_subcode (one code
    190 from another) and fbtrace_id (what Meta's support asks for); "" with none of them.
    Each is scrubbed before it is cut: a cut could leave the start of an echoed token.
    https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    if not isinstance(err, dict):
        return ""
    said = [scrub(str(err["type"]))[:60]] if err.get("type") else []
    said += [f"{k.removeprefix('error_')} {scrub(str(err[k]))[:60]}"
             for k in ("error_subcode", "fbtrace_id") if err.get(k)]  # fmt: skip
    return f" ({', '.join(said)})" if said else ""


def cannot_mend(code: int) -> bool:
    """Whether Meta's error table says asking again cannot mend an error of this code, whatever
    HTTP status it comes with: 102 and 190 need a new access token, 3, 10 and 200-299 a
    capability or permission the app or token lacks.
    https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    return code in (3, 10, 102, 190) or 200 <= code <= 299


def what_to_do(code: int) -> str:
    """Meta's recovery tactic for an error that asking again cannot mend, as a sentence for the
    message; "" for other codes. https://developers.facebook.com/docs/graph-api/guides/error-handling
    (insights need ads_read: https://developers.facebook.com/docs/marketing-api/insights)"""
    if code in (102, 190):  # API session; access token expired
        return (". The access token has expired, was revoked or is not valid: "
                "get a new one and set it in REFSCOPE_META_TOKEN")  # fmt: skip
    if code == 10 or 200 <= code <= 299:  # API permission denied; API permission
        return (". The access token lacks a permission this call needs "
                "(ads_read, for the ad account's insights)")  # fmt: skip
    return ""
