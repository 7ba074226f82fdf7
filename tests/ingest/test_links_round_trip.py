"""A tracked link from end to end, as a growth team uses it: the URL `links create` prints is
what m.me expects, the ref a click on it delivers in `referral.ref` is the registered ref (also
one holding `=`, `-` and `_`, or 250 characters), its QR code decodes to that URL, and the
contacts it brings land on the link: as QR code contacts, also when the code was registered by
a username after they arrived and `pages set` mapped the username to their page id later."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, links, qr
from ingest.cli import cli
from tests import factories as fx
from tests.ingest.links_setup import decode, svg_to_png

PAGES_AND_REFS = [
    ("acmebakery", "spring_window"),
    ("Acme.Bakery", "utm=spring-2026_03"),
    (fx.PAGE_ID, "=-_"),
    ("acme." * 10, "A" * 250),  # the longest username and ref the rules allow
    ("a.b.c.d.e", "Z"),  # periods do not count: the 5 characters are letters
]


@pytest.mark.parametrize(("page", "ref"), PAGES_AND_REFS)
def test_the_url_gives_m_me_the_ref_and_the_code_decodes_to_the_url(page: str, ref: str) -> None:
    url = links.make_link(page, ref, "qr").url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "m.me", f"/{page}")
    # What m.me hands the webhook as referral.ref once it decodes the query.
    assert parse_qs(parts.query, keep_blank_values=True, strict_parsing=True) == {"ref": [ref]}
    assert decode(qr.png_bytes(url)) == url
    assert decode(svg_to_png(qr.svg_bytes(url))) == url


def _first_touch(ref: str, psid: str, ts: int) -> list[Any]:
    """A new thread opened from an m.me link or QR code: Get Started, then a message."""
    return [
        fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=ts)),
        fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)),
    ]


def test_contacts_land_on_the_link_registered_by_username_before_and_after_pages_set(
    ingest_lines: Any, runner: CliRunner, query: Any, db_path: Path
) -> None:
    def run(*args: str) -> None:
        res = runner.invoke(cli, [*args, "--db", str(db_path)])
        assert res.exit_code == 0, res.output

    ingest_lines([
        *_first_touch("door=2026-03_a", "7100000000000001", fx.T0),
        *_first_touch("bio_link", "7100000000000002", fx.T0 + fx.HOUR),
        *_first_touch("nobody_made_me", "7100000000000003", fx.T0 + 2 * fx.HOUR),
    ])  # fmt: skip
    codes = str(db_path.parent / "codes")
    run("links", "create", "--page", "Acme.Bakery", "--ref", "door=2026-03_a", "--channel", "qr",
        "--out", codes)  # fmt: skip
    run("links", "create", "--page", "acmebakery", "--ref", "bio_link")
    channels = "SELECT ref, channel FROM contacts ORDER BY psid"
    want = [("door=2026-03_a", "qr_code"), ("bio_link", "m_me_link"),
            ("nobody_made_me", "m_me_link")]  # fmt: skip
    assert query(channels) == want  # by the ref alone: `pages` knows no username yet
    run("pages", "set", fx.PAGE_ID, "--username", "acmebakery")
    assert query(channels) == want
    # A scan after it all, re-entering as an existing thread would, is a QR code touch too.
    scan = fx.referral("door=2026-03_a", psid="7100000000000002", ts=fx.T0 + fx.DAY)
    ingest_lines([fx.delivery(scan)], name="later.ndjson")
    assert query(channels) == want
    assert query("SELECT ref, channel FROM touches WHERE is_reentry") == [
        ("door=2026-03_a", "qr_code")
    ]
    con = db.connect(db_path, read_only=True)
    try:
        queries.install_macros(con)
        f = Filters(dt.date(2023, 11, 1), dt.date(2023, 11, 30))
        refs = queries.refs(con, f).set_index("ref")
        stats = queries.tracked_link_stats(con, f).set_index("ref")
    finally:
        con.close()
    assert refs.loc["door=2026-03_a", ["channel", "new_contacts", "reentries", "registered"]] \
        .tolist() == ["qr_code", 1, 1, True]  # fmt: skip
    assert refs.loc["nobody_made_me", ["channel", "registered"]].tolist() == ["m_me_link", False]
    assert stats.loc["door=2026-03_a", "new_contacts"] == 1
    assert stats.loc["door=2026-03_a", "url"] == "https://m.me/Acme.Bakery?ref=door%3D2026-03_a"
    code = (Path(codes) / "door=2026-03_a.png").read_bytes()
    assert decode(code) == stats.loc["door=2026-03_a", "url"]
