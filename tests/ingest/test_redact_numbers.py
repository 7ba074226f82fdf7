"""A salted or forgotten id written as a bare JSON number: the rejected line stays JSON."""

from __future__ import annotations

import json

from ingest.privacy import FORGOTTEN, Privacy, forgotten_hash

SALT = b"pepper-for-tests"
PSID = 2718281828459045
LINE = (
    f'{{"object":"page","entry":"not a list","sender":{{"id":{PSID}}},'
    f'"ids":[{PSID}, 3141592653589793],"timestamp":1458692752478}}'
)


def test_a_salted_numeric_id_is_shown_as_a_string_and_the_line_stays_json() -> None:
    privacy = Privacy(salt=SALT)
    shown = privacy.redact(LINE)
    doc = json.loads(shown)  # was: {"id":id:3f2a...} — no longer JSON
    assert str(PSID) not in shown
    assert doc["sender"]["id"] == privacy.shown_id(str(PSID))
    assert doc["ids"] == [privacy.shown_id(str(PSID)), privacy.shown_id("3141592653589793")]
    assert doc["timestamp"] == 1458692752478  # an instant is no id


def test_a_forgotten_numeric_id_is_a_string_and_the_line_stays_json() -> None:
    privacy = Privacy()
    shown = privacy.redact(LINE, frozenset({forgotten_hash(str(PSID))}))
    doc = json.loads(shown)
    assert doc["sender"]["id"] == FORGOTTEN
    assert doc["ids"] == [FORGOTTEN, 3141592653589793]


def test_ids_inside_strings_are_not_quoted_twice() -> None:
    privacy = Privacy(salt=SALT)
    raw = f'{{"entry":"x","sender":{{"id":"{PSID}"}},"mid":"m_{PSID}"}}'
    doc = json.loads(privacy.redact(raw))
    assert doc["sender"]["id"] == privacy.shown_id(str(PSID))
    assert doc["mid"] == "m_" + privacy.shown_id(str(PSID))
