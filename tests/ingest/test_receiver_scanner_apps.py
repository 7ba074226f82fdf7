"""A QR code scanned with a scanner app (GET /r/<ref>?qr=1 from the app's web view, on a real
uvicorn server on 127.0.0.1): the app's name in the User-Agent ("QRScannerApp/1.0") does not
make a person's scan a bot's, while a security scanner's fetch stays one."""

from __future__ import annotations

import json

import pytest

from ingest.clicklog import device_class
from tests.ingest.receiver_server import Receiver

# A scanner app's web view: the phone's browser engine, the app's name added at the end.
ANDROID_APP = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/114.0.0.0 Mobile Safari/537.36 QRScannerApp/1.0"
)
IPHONE_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 QR Scanner/3.2"
)
IPAD_APP = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 BarcodeScan/7.0"
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (ANDROID_APP, "mobile"),
        (IPHONE_APP, "mobile"),
        (IPAD_APP, "tablet"),
        ("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "bot"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) SiteScanner/2.0", "bot"),
    ],
    ids=["android-app", "iphone-app", "ipad-app", "masscan", "desktop-scanner"],
)
def test_a_scanner_app_on_a_phone_is_a_person(user_agent: str, device: str) -> None:
    assert device_class(user_agent) == device


def test_a_scan_through_a_scanner_app_is_logged_as_the_phones(click_receiver: Receiver) -> None:
    for user_agent in (ANDROID_APP, IPHONE_APP):
        r = click_receiver.get("/r/spring_menu", params={"qr": "1"},
                               headers={"User-Agent": user_agent})  # fmt: skip
        assert r.status_code == 302
    scans = [json.loads(line) for line in click_receiver.lines("clicks")]
    assert [(s["qr"], s["device"]) for s in scans] == [(True, "mobile"), (True, "mobile")]
