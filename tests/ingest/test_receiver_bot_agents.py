"""Automated fetchers of a tracked link that do not call themselves bots (GET /r/<ref> on a
real uvicorn server on 127.0.0.1): a crawler naming where to reach its owner, or an HTTP
library's default User-Agent, is logged as device `bot`, so it is not counted as a click."""

from __future__ import annotations

import json

import pytest

from ingest.clicklog import device_class
from tests.ingest.receiver_server import IPHONE, Receiver

AUTOMATED = [
    "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)",  # Naver's crawler
    "Mozilla/5.0 (compatible; GoogleDocs; apps-spreadsheets; +http://docs.google.com)",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Mozilla/5.0 (compatible; ExampleCards/1.1; +mailto:support@example.org)",
    "Go-http-client/1.1",
    "axios/1.6.2",
    "Java/17.0.2",
    "Apache-HttpClient/4.5.13 (Java/11.0.9)",
    "libwww-perl/6.72",
    "Dalvik/2.1.0 (Linux; U; Android 11; Pixel 5 Build/RQ3A.210805.001.A1)",  # not a tablet
    # Viber's link preview: "Viber" (crawler-user-agents' record of it), and its iPhone app's
    # fetch through Apple's HTTP client, as another app's (CFNetwork, no browser) is.
    "Viber",
    "Viber/20.9.0.8 CFNetwork/1410.0.3 Darwin/22.6.0",
    "Viber/21.4 CFNetwork/1496.0.7 Darwin/23.5.0",
    "ExampleApp/3.2.1 CFNetwork/1408.0.4 Darwin/22.5.0",
    "CFNetwork/1335.0.3 Darwin/21.6.0",
    # The defaults of Node's own fetch (undici: "node" since Node 20, "undici" before), Ruby's
    # Net::HTTP, PHP's Guzzle, Deno, Bun, Dart's dart:io (a Flutter app) and Postman.
    "node",
    "undici",
    "Ruby",
    "GuzzleHttp/7",
    "Deno/1.40.2",
    "Bun/1.0.25",
    "Dart/3.2 (dart:io)",
    "PostmanRuntime/7.36.0",
    "Mozilla/5.0 zgrab/0.x",  # Censys's scanner
    # Google's crawlers that name no bot, a smartphone's among them (its "Android ... Mobile"
    # counted it as a person's scan): https://developers.google.com/search/docs/crawling-indexing/google-common-crawlers
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/124.0.6367.207 Mobile Safari/537.36 (compatible; GoogleOther)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GoogleOther) "
    "Chrome/124.0.6367.207 Safari/537.36",
    "GoogleOther-Image/1.0",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/124.0.6367.207 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)",
    "Google-Safety",
    "Mediapartners-Google",
    # Microsoft Office's check of a link clicked in Word, Excel, PowerPoint or Outlook, before
    # the browser opens it, and the previews of Teams, Skype and Outlook.
    "Microsoft Office Existence Discovery",
    "Microsoft Office Word 2014",
    "Microsoft Office Excel 2014",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; "
    "Microsoft Outlook 16.0.5356; ms-office; MSOffice 16)",
    "Microsoft Outlook",
    "Microsoft Office Word/2.85 (iOS/17.4; Tablet; en-US; AppStore; Apple/iPad13,4)",
    "MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
]


@pytest.mark.parametrize("user_agent", AUTOMATED)
def test_an_automated_fetcher_is_a_bot(user_agent: str) -> None:
    assert device_class(user_agent) == "bot"


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (IPHONE, "mobile"),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S901B Build/TP1A.220624.014; wv) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile "
            "Safari/537.36 [FB_IAB/FB4A;FBAV/444.0.0.0.110;]",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "desktop",
        ),
        # Edge on phones, and the browsers Outlook and Teams open a link in: a person's.
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
            "mobile",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.0 EdgiOS/124.2478.50 Mobile/15E148 Safari/605.1.15",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Teams/1.6.00.4472 Electron/19.1.8",
            "desktop",
        ),
        # An app's web view on an iPhone (where a link tapped in Viber opens): a person's.
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148",
            "mobile",
        ),
    ],
    ids=[
        "iphone",
        "facebook-in-app",
        "edge",
        "edge-android",
        "edge-ios",
        "outlook-android-in-app",
        "teams-desktop",
        "ios-web-view",
    ],
)
def test_people_are_not_bots(user_agent: str, device: str) -> None:
    assert device_class(user_agent) == device


def test_an_automated_fetch_is_redirected_and_logged_as_a_bot(click_receiver: Receiver) -> None:
    for user_agent in (AUTOMATED[0], AUTOMATED[4], "node", IPHONE):
        r = click_receiver.get("/r/spring_menu", params={"qr": "1"},
                               headers={"User-Agent": user_agent})  # fmt: skip
        assert r.status_code == 302
        assert r.headers["location"].startswith("https://m.me/")
    devices = [json.loads(line)["device"] for line in click_receiver.lines("clicks")]
    assert devices == ["bot", "bot", "bot", "mobile"]


def test_an_office_link_check_and_the_browser_it_opens_are_one_click(
    click_receiver: Receiver,
) -> None:
    """A link clicked in Outlook: Office fetches it, then Edge opens it; one person's click."""
    edge = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"
    )
    office = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
    for user_agent in (office, edge):
        r = click_receiver.get("/r/spring_menu", headers={"User-Agent": user_agent})
        assert r.status_code == 302
    devices = [json.loads(line)["device"] for line in click_receiver.lines("clicks")]
    assert devices == ["bot", "desktop"]
