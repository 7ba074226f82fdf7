"""What a person sent as an attachment, in a rejected line: a salted database read without
--keep-text keeps a photo's or file's URL and a shared location no more than the text beside
it, and `forget` takes the URLs of the person's items with their text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.ingest.rejects_setup import OTHER, PSID, READINGS, SALT, forget, read_rejected

PHOTO = "https://scontent.xx.fbcdn.net/v/t1.15752-9/123_456_n.jpg?oh=abc&oe=def"
LAT, LONG = 52.520008, 13.404954


def rejected_message() -> str:
    """A message without a mid (rejected) holding a photo and a location pin."""
    item = f.message("see you here", psid=PSID, ts=f.T0)
    del item["message"]["mid"]
    item["message"]["attachments"] = [
        {"type": "image", "payload": {"url": PHOTO}},
        {"type": "location", "payload": {"coordinates": {"lat": LAT, "long": LONG}}},
    ]
    return f.line(f.delivery(item))


def sent() -> list[str]:
    return [str(LAT), str(LONG), PHOTO, PHOTO.split("?")[0], "see you here"]


@READINGS
def test_a_rejected_lines_attachments_go_where_its_text_goes(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch,
    salt: str | None, keep_text: bool, hidden: bool,
) -> None:  # fmt: skip
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    (kept,) = read_rejected(tmp_path, db_path, [rejected_message()], keep_text)
    found = [s for s in sent() if s in kept]
    assert found == ([] if hidden else sent()), kept
    attachments = json.loads(kept)["entry"][0]["messaging"][0]["message"]["attachments"]
    assert [a["type"] for a in attachments] == ["image", "location"]  # still valid JSON


def test_forget_takes_the_url_of_the_persons_attachment_from_rejected_lines(
    tmp_path: Path, db_path: Path, runner: CliRunner
) -> None:
    (raw,) = read_rejected(tmp_path, db_path, [rejected_message()])
    assert PHOTO in raw  # no salt: kept as it came
    (kept,) = forget(runner, db_path)
    assert PSID not in kept and "see you here" not in kept
    assert PHOTO.split("?")[0] not in kept, kept


# A shared location as Messenger sent it: its own `url` (a map link) holds the coordinates too.
MAP = (
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.bing.com%2Fmaps%2Fdefault.aspx%3Fv%3D2"
    f"%26pc%3DFACEBOOK%26mid%3D8100%26where1%3D{LAT}%252C%2B{LONG}%26FORM%3DFBKPL1&h=AT0"
)


def shared_location(psid: str, ts: int) -> dict[str, object]:
    item = f.message(None, psid=psid, ts=ts, attachments=[{
        "title": "Pinned Location", "url": MAP, "type": "location",
        "payload": {"coordinates": {"lat": LAT, "long": LONG}},
    }])  # fmt: skip
    del item["message"]["mid"]
    return item


def _two_people_rejected(
    item: Callable[[str, int], dict[str, Any]], tmp_path: Path, db_path: Path, runner: CliRunner,
    how: str, keep_text: bool | None = None,
) -> tuple[str, dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Reads a rejected line of two items that `item` makes, PSID's then another person's, and
    forgets PSID where how is "forget": the line kept, PSID's attachment and the other's."""
    line = f.line(f.delivery(item(PSID, f.T0), item(OTHER, f.T0 + 1)))
    (kept,) = read_rejected(tmp_path, db_path, [line], keep_text)
    if how == "forget":
        (kept,) = forget(runner, db_path)
    items = json.loads(kept)["entry"][0]["messaging"]
    return kept, items[0]["message"]["attachments"][0], items[1]["message"]["attachments"][0]


@pytest.mark.parametrize("how", ["salted", "forget"])
def test_a_shared_locations_map_link_goes_with_its_coordinates(
    tmp_path: Path, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The coordinates became null, but the attachment's `url`, a map link holding them,
    stayed: in a salted database read without --keep-text, and after `forget`."""
    if how == "salted":
        monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    kept, mine, theirs = _two_people_rejected(shared_location, tmp_path, db_path, runner, how)
    assert mine["payload"]["coordinates"] == {"lat": None, "long": None}
    assert mine["url"] == f"<text removed: {len(MAP)} characters>", kept
    assert mine["type"] == "location"
    assert theirs["url"] == (mine["url"] if how == "salted" else MAP)  # forget: not theirs


# A shared location's `title` may name the person who sent it ("Simon's Location" in public
# bot code; Meta's pages do not describe it): it goes where the map link goes.
TITLE = "Simon's Location"


def titled_location(psid: str, ts: int) -> dict[str, object]:
    item = shared_location(psid, ts)
    item["message"]["attachments"][0]["title"] = TITLE  # type: ignore[index]
    return item


@pytest.mark.parametrize("how", ["salted", "forget", "salted-keep-text"])
def test_a_shared_locations_title_goes_with_its_map_link(
    tmp_path: Path, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The map link became the placeholder, but the attachment's `title`, which can hold the
    sender's name, stayed: in a salted database read without --keep-text, and after `forget`.
    Read with --keep-text, it stays as the text does."""
    if how.startswith("salted"):
        monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    kept, mine, theirs = _two_people_rejected(
        titled_location, tmp_path, db_path, runner, how, keep_text=how == "salted-keep-text"
    )
    if how == "salted-keep-text":
        assert mine["title"] == theirs["title"] == TITLE, kept
        return
    assert mine["url"] == f"<text removed: {len(MAP)} characters>", kept
    assert mine["title"] == f"<text removed: {len(TITLE)} characters>", kept
    assert TITLE not in json.dumps(mine), kept
    assert theirs["title"] == (mine["title"] if how == "salted" else TITLE)  # forget: not theirs
