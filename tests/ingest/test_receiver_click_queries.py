"""The query strings tracked links (GET /r/<ref>) arrive with once a marketer has added to them:
UTM parameters before, between or after refscope's own, and appended with a second `?` to a
link that already has a query, as a UTM builder given the whole address does not do but a
hand does (`…&qr=1?utm_source=flyer`), or with its `&` written `&amp;` in a page's or an
email's HTML once too often (`…&amp;qr=1`), as web analytics see in the `amp;utm_source`
parameters such links bring."""

from __future__ import annotations

import json

import pytest

from tests import factories as f
from tests.ingest.receiver_server import IPHONE, Receiver

PAGE = f.PAGE_USERNAME


@pytest.mark.parametrize(
    "query",
    [
        f"page={PAGE}&qr=1&utm_source=flyer&utm_medium=print",
        f"utm_source=flyer&page={PAGE}&utm_medium=print&qr=1",
        f"page={PAGE}&qr=1?utm_source=flyer&utm_medium=print",
        f"page={PAGE}&qr=1?utm_source=flyer?utm_medium=print",
    ],
    ids=["after", "around", "second-question-mark", "every-one-with-a-question-mark"],
)
def test_a_scan_with_utm_parameters_is_a_scan(click_receiver: Receiver, query: str) -> None:
    r = click_receiver.get(f"/r/spring_menu?{query}", headers={"User-Agent": IPHONE})
    assert (r.status_code, r.headers["location"]) == (302, f"https://m.me/{PAGE}?ref=spring_menu")
    (line,) = click_receiver.lines("clicks")
    assert json.loads(line)["qr"] is True  # not counted as a plain link's click


def test_a_page_followed_by_an_appended_query_still_finds_its_link(
    click_receiver: Receiver,
) -> None:
    # "menu" is registered for two pages: its links name theirs, here with `?utm…` glued on.
    r = click_receiver.get("/r/menu?page=otherbakery?utm_source=news",
                           headers={"User-Agent": IPHONE})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (302, "https://m.me/otherbakery?ref=menu")
    (line,) = click_receiver.lines("clicks")
    assert (json.loads(line)["page"], json.loads(line)["qr"]) == ("otherbakery", False)


def test_an_encoded_question_mark_is_part_of_its_value(click_receiver: Receiver) -> None:
    # %3F is a `?` the sender meant inside a value: not read as a separator.
    r = click_receiver.get(f"/r/spring_menu?page={PAGE}&qr=1%3Futm_source%3Dflyer")
    assert r.status_code == 302
    (line,) = click_receiver.lines("clicks")
    assert json.loads(line)["qr"] is False


@pytest.mark.parametrize(
    "query",
    [f"page={PAGE}&amp;qr=1", f"utm_source=news&amp;page={PAGE}&amp;qr=1&amp;utm_medium=email"],
    ids=["qr", "every-one"],
)
def test_an_ampersand_escaped_once_too_often_still_separates(
    click_receiver: Receiver, query: str
) -> None:
    r = click_receiver.get(f"/r/spring_menu?{query}", headers={"User-Agent": IPHONE})
    assert (r.status_code, r.headers["location"]) == (302, f"https://m.me/{PAGE}?ref=spring_menu")
    (line,) = click_receiver.lines("clicks")
    assert (json.loads(line)["page"], json.loads(line)["qr"]) == (PAGE, True)


def test_an_escaped_ampersand_names_the_page_a_shared_ref_needs(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/menu?utm_source=news&amp;page=otherbakery")
    assert (r.status_code, r.headers["location"]) == (302, "https://m.me/otherbakery?ref=menu")


SAID_SCAN = ["1", "true", "TRUE", "True", "yes", "on"]
SAID_CLICK = ["0", "false", "FALSE", "no", "off", "2", ""]


@pytest.mark.parametrize(
    ("qr", "scan"), [(x, True) for x in SAID_SCAN] + [(x, False) for x in SAID_CLICK]
)
def test_a_true_spelled_as_a_hand_or_a_spreadsheet_writes_it_is_a_scan(
    click_receiver: Receiver, qr: str, scan: bool
) -> None:
    # A link edited by hand says qr=true or yes; a spreadsheet formula joining "&qr=" & TRUE
    # writes qr=TRUE. Each is the scan the person meant; a false or unknown value is a click.
    r = click_receiver.get(f"/r/spring_menu?page={PAGE}&qr={qr}", headers={"User-Agent": IPHONE})
    assert r.status_code == 302
    (line,) = click_receiver.lines("clicks")
    assert json.loads(line)["qr"] is scan
