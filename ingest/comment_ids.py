"""Which values of a rejected line name a comment (or a visitor post) to Graph: with the page's
token, `GET /{comment-id}` gives its author (`from`), so a forgotten person's stay in no table.
https://developers.facebook.com/docs/graph-api/reference/comment/
"""

from __future__ import annotations

import re

# A comment's id as Graph writes it, `<post>_<comment>` digits, or as a salted rejected line
# shows it (each long run of digits `id:` and 16 hex digits, privacy.Privacy.shown_id).
_PART = r"(?:[0-9]+|id:[0-9a-f]{16})"
COMMENT_ID = re.compile(rf"{_PART}(?:_{_PART})+")


def is_comment_id(key: str | None, parent: str | None, text: str | None) -> bool:
    """Whether a string value names a comment or a visitor post: a `comment_id` (a feed
    change's `value.comment_id`, a private reply's `recipient.comment_id`, a JSON `metadata`'s
    that names the comment replied to), a private reply's `recipient.post_id` (a visitor post),
    or an echo's bare `metadata` in the `<post>_<comment>` form (as webhook.py reads it)."""
    return (
        key == "comment_id"
        or (key == "post_id" and parent == "recipient")
        or (key == "metadata" and COMMENT_ID.fullmatch(text or "") is not None)
    )
