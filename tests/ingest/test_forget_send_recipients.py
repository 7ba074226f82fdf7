"""`refscope forget` and a rejected send log sent by phone number: the Send API takes a recipient
`{"phone_number": ..., "name": {"first_name": ..., "last_name": ...}}`, whose number and name
name the person more plainly than their PSID. Forgotten, in whichever form the line holds them
(the response's recipient_id, or the phone number given to forget), neither stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.privacy import FORGOTTEN, SALT_ENV, Privacy
from tests import factories as f
from tests.ingest.forget_setup import rejects_both_ways

SALT = "pepper-for-send-recipients"
PSID = "5550001112223334"
PHONE = "+12125552368"
NAME = {"first_name": "Johanna", "last_name": "Doe"}


def send_by_phone(recipient_id: str | None, *, form: bool = False) -> str:
    """A send to PHONE, rejected (no timestamp); its response names the PSID if given. form: the
    request as a form-encoded call sends it, recipient and message as JSON strings."""
    response = {"message_id": "m_sent_1"}
    if recipient_id is not None:
        response = {"recipient_id": recipient_id, **response}
    request = {"recipient": {"phone_number": PHONE, "name": NAME},
               "message": {"text": "Your order is ready"}}  # fmt: skip
    if form:
        request = {k: json.dumps(v) for k, v in request.items()}
    return f.line({"object": "send_api", "page_id": f.PAGE_ID, "request": request,
                   "response": response})  # fmt: skip


@pytest.mark.parametrize("form", [False, True], ids=["json", "form-encoded"])
@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
@pytest.mark.parametrize(
    ("who", "recipient_id"), [(PSID, PSID), (PHONE, None)], ids=["by-psid", "by-phone-number"]
)
def test_forget_takes_the_recipients_phone_number_and_name_from_a_rejected_send_log(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    salt: str | None, who: str, recipient_id: str | None, form: bool,
) -> None:  # fmt: skip
    """Logged form-encoded too: the message's text, a JSON string inside the message's, goes as
    every text of a send log holding the person does."""
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    privacy = Privacy(salt=salt.encode() if salt else None)
    seen, forgot = rejects_both_ways(
        tmp_path, runner, [send_by_phone(recipient_id, form=form)], who, "SELECT raw FROM rejects"
    )
    ((raw,),) = seen
    for held in ("Johanna", "Doe", "2368", "Your order", privacy.shown_id(PHONE)):
        assert held not in raw, raw
    recipient = json.loads(raw)["request"]["recipient"]
    if form:
        recipient = json.loads(recipient)
    assert recipient == {
        "phone_number": FORGOTTEN, "name": {"first_name": FORGOTTEN, "last_name": FORGOTTEN}
    }  # fmt: skip
    assert forgot == seen  # forgotten before the log was read: the same line


def test_another_recipients_phone_number_and_name_stay_where_text_is_kept(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Someone else forgotten: a send by phone number to another person keeps its recipient."""
    seen, forgot = rejects_both_ways(
        tmp_path, runner, [send_by_phone(None)], "+12125550000", "SELECT raw FROM rejects"
    )
    ((raw,),) = seen
    assert json.loads(raw)["request"]["recipient"] == {"phone_number": PHONE, "name": NAME}
    assert forgot == seen
