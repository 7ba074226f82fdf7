"""A reject's reason says what is wrong without the line's content: it quotes a value only where
it looks like the name it should be (an object's), and says what any other value is, so that a
reason never carries a person's id or words (rejects.raw is redacted; the reason was not)."""

from __future__ import annotations

import json

import pytest

from tests import factories as f
from tests.conftest import IngestLines, Query

SALT = "pepper-for-tests"
PSID = "5550001112223334"
SECRET = f"jane.doe@example.com wrote to the page as {PSID}: call me on 070-123 45 67"


def _object(obj: object) -> str:
    return f.line(f.delivery(f.message("hi", psid=PSID), obj=obj))


CASES = [
    (_object("instagram"), "unsupported object 'instagram': refscope reads Page webhooks"),
    (_object("whatsapp_business_account"),
     "unsupported object 'whatsapp_business_account': refscope reads Page webhooks"),
    (_object(SECRET), f"unsupported object (a string of {len(SECRET)} characters): refscope "
                      "reads Page webhooks"),
    (_object(PSID), "unsupported object (a string of 16 characters): refscope reads Page webhooks"),
    (_object("user_" + PSID),
     "unsupported object (a string of 21 characters): refscope reads Page webhooks"),
    (_object("Instagram"),
     "unsupported object (a string of 9 characters): refscope reads Page webhooks"),
    (_object(int(PSID)), "unsupported object (a number): refscope reads Page webhooks"),
    (_object({"id": PSID}), "unsupported object (an object): refscope reads Page webhooks"),
    (_object([SECRET]), "unsupported object (an array): refscope reads Page webhooks"),
    (_object(True), "unsupported object (a boolean): refscope reads Page webhooks"),
    # Meta's error answer: its code is a number; anything else is said, not quoted.
    (json.dumps({"error": {"message": "(#17) User request limit reached", "code": 17}}),
     "Graph API error answer, no insights: (#17) User request limit reached (code 17)"),
    (json.dumps({"error": {"message": "(#17) User request limit reached", "code": SECRET}}),
     "Graph API error answer, no insights: (#17) User request limit reached (code: a string "
     f"of {len(SECRET)} characters)"),
]  # fmt: skip


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_a_reason_quotes_only_what_looks_like_a_name(
    ingest_lines: IngestLines, query: Query, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    res = ingest_lines([line for line, _ in CASES])
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    assert reasons == [want for _, want in CASES]
    assert all(PSID not in r and "jane.doe" not in r for r in reasons)
    # The summary counts them as before: one family for every unsupported object.
    assert res.rejects_by_reason == {"unsupported object": 10,
                                     "Graph API error answer, no insights": 2}  # fmt: skip
