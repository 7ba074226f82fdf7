"""Tracked links and QR codes: rules, codes that scan back to their URL, import, re-labelling."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import cairosvg
import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageFilter
from pypdf import PdfReader

from ingest import db, links, qr
from ingest.cli import cli
from ingest.errors import ValidationError
from tests.factories import (
    OTHER_PAGE_ID,
    PAGE_ID,
    PSID,
    batch,
    entry,
    message,
    postback,
    referral_obj,
)


def decode(png: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return str(text)


def svg_to_png(svg: bytes) -> bytes:
    return bytes(cairosvg.svg2png(bytestring=svg, output_width=600, background_color="white"))


def logo_png() -> bytes:
    img = Image.new("RGB", (120, 120), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


URL = "https://m.me/acmebakery?ref=qr_store12_window"
STYLES = {
    "default": qr.QrStyle(),
    "small-L": qr.QrStyle(box_size=4, border=4, error_correction="L"),
    "colours": qr.QrStyle(foreground="#1a237e", background="#fff8e1", error_correction="Q"),
    "logo": qr.QrStyle(logo=logo_png()),
}


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
def test_png_decodes_to_the_url(style: qr.QrStyle) -> None:
    assert decode(qr.png_bytes(URL, style)) == URL


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
def test_svg_rendered_to_pixels_decodes_to_the_url(style: qr.QrStyle) -> None:
    assert decode(svg_to_png(qr.svg_bytes(URL, style))) == URL


def test_scaled_and_blurred_code_still_decodes() -> None:
    img = Image.open(io.BytesIO(qr.png_bytes(URL)))
    img = img.resize((img.width // 2, img.height // 2)).filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert decode(buf.getvalue()) == URL


def test_a_logo_forces_high_error_correction() -> None:
    plain = qr.matrix(URL, qr.QrStyle(error_correction="L"))
    with_logo = qr.matrix(URL, qr.QrStyle(error_correction="L", logo=logo_png()))
    assert qr.QrStyle(logo=logo_png()).level == qr.ERROR_LEVELS["H"]
    assert len(with_logo) > len(plain)  # level H needs more modules for the same data


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("qr_store12", True),
        ("A-z_0=9", True),
        ("x" * 250, True),
        ("", False),
        ("x" * 251, False),
        ("with space", False),
        ("slash/ref", False),
        ("émoji", False),
        ("dot.ref", False),
    ],
    ids=["plain", "all-classes", "250", "empty", "251", "space", "slash", "non-ascii", "dot"],
)
def test_ref_rule(ref: str, ok: bool) -> None:
    if ok:
        assert links.check_ref(ref) == ref
    else:
        with pytest.raises(ValidationError, match="A-Z a-z 0-9 _ - ="):
            links.check_ref(ref)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 251, "invalid ref '" + "x" * 60 + "'… (251 characters): a ref uses only"),
        ("x" * 100 + "/x", "invalid ref '" + "x" * 60 + "'… ('/' at character 101): a ref"),
        ("bad ref", "invalid ref 'bad ref' (' ' at character 4): a ref uses only"),
        ("utm=" + "x" * 247, "invalid ref 'utm=" + "x" * 56 + "'… (251 characters): a ref"),
    ],
    ids=["too-long", "bad-character-past-the-quoted-start", "space", "too-long-with-equals"],
)
def test_a_refused_ref_says_which_part_of_the_rule_it_broke(value: str, message: str) -> None:
    """A message quotes the start of a long ref: it says that it is cut, and what is wrong (a
    251-character ref read as 60 allowed characters 'breaking' the rule)."""
    with pytest.raises(ValidationError) as refused:
        links.check_ref(value)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("page", "fault"),
    [
        ("acme", "(4 characters)"),
        ("a" * 70, "'" + "a" * 60 + "'… (70 characters)"),
        ("acme_bakery", "('_' at character 5)"),
        (".....", "(no letter)"),
        ("acmebakery.net", "(ends in .net)"),
        ("a" * 46 + ".com", "'" + "a" * 46 + ".com' (ends in .com)"),
        ("a" * 60, "'" + "a" * 60 + "' (60 characters)"),  # quoted whole: no mark of a cut
        ("ACMEBAKERY.COM", "(ends in .COM)"),
    ],
)
def test_a_refused_page_says_which_part_of_the_rule_it_broke(page: str, fault: str) -> None:
    with pytest.raises(ValidationError, match="5 to 50 ASCII letters") as refused:
        links.check_page(page)
    assert fault in str(refused.value)


@pytest.mark.parametrize(
    ("page", "ok"),
    [
        ("acmebakery", True),
        ("acme.bakery", True),
        ("1122334455667788", True),
        ("acme", False),
        ("acme_bakery", False),
        ("acme bakery", False),
        ("", False),
        (".....", False),
        ("acmebakery.com", False),
        ("a" * 51, False),
        ("a" * 50, True),
        ("acme2024", True),
    ],
    ids=[
        "username",
        "periods",
        "numeric-id",
        "too-short",
        "underscore",
        "space",
        "empty",
        "no-letter",
        "extension",
        "too-long",
        "longest",
        "letters-and-digits",
    ],
)
def test_page_rule(page: str, ok: bool) -> None:
    if ok:
        assert links.check_page(page) == page
    else:
        with pytest.raises(ValidationError, match="5 to 50 ASCII letters, digits and periods"):
            links.check_page(page)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.example",
        "https://x y.example",
        "example.org",
        "https://x.example/?a=1",
        "https://",
        # An empty query or fragment still cuts the link: /r/<ref> would follow '#' or '?'.
        "https://x.example/#",
        "https://x.example/?",
        # A port no server can listen on, and a host urlsplit cannot read (no traceback).
        "https://x.example:99999",
        "https://x.example:abc",
        "https://x.example:",
        "http://[::1",
    ],
)
def test_a_redirect_address_must_be_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValidationError, match="invalid redirect address"):
        links.make_link("acmebakery", "spring", base_url=url)
    link = links.make_link("acmebakery", "spring", base_url="https://go.example:8443/x")
    assert link.url == "https://go.example:8443/x/r/spring?page=acmebakery&qr=0"


def test_a_campaign_with_nothing_to_build_a_ref_from_says_so() -> None:
    with pytest.raises(ValidationError, match="cannot build a ref from '日本': .* give a ref"):
        links.make_link("acmebakery", campaign="日本")


def test_ref_from_the_naming_convention() -> None:
    link = links.make_link(
        "acmebakery", None, "qr", "Spring Sale", "Store #12", today=dt.date(2026, 3, 14)
    )
    assert link.ref == "spring_sale-store_12-2026_03"
    assert link.url == "https://m.me/acmebakery?ref=spring_sale-store_12-2026_03"
    assert link.channel == "qr_code"
    with pytest.raises(ValidationError, match="campaign"):
        links.make_link("acmebakery", None, "link")


def test_same_ref_twice_is_a_no_op_and_other_attributes_are_refused(db_path: Path) -> None:
    con = db.connect(db_path)
    try:
        a = links.make_link("acmebakery", "flyer1", "qr", "spring")
        assert links.register(con, [a]) == [a]
        assert links.register(con, [a]) == []
        b = links.make_link("acmebakery", "flyer1", "link", "spring")
        with pytest.raises(ValidationError, match="already registered"):
            links.register(con, [b])
        (n,) = con.execute("SELECT count(*) FROM tracked_links").fetchone() or (0,)
    finally:
        con.close()
    assert n == 1


def test_a_conflict_names_an_attribute_left_out_in_words_not_as_none(db_path: Path) -> None:
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link("acmebakery", "flyer1", "qr")])
        with pytest.raises(ValidationError) as added:
            links.register(con, [links.make_link("acmebakery", "flyer1", "qr", "spring")])
        links.register(con, [links.make_link("acmebakery", "flyer2", "qr", "spring")])
        with pytest.raises(ValidationError) as dropped:
            links.register(con, [links.make_link("acmebakery", "flyer2", "qr")])
    finally:
        con.close()
    assert "with no campaign (here 'spring')" in str(added.value)
    assert "with campaign 'spring' (here none)" in str(dropped.value)
    assert "None" not in str(added.value) + str(dropped.value)


def qr_contact_lines(ref: str = "qr_flyer") -> list[Any]:
    ref_obj = referral_obj(ref, "SHORTLINK")
    return [
        batch(entry(postback(referral=ref_obj, ts=1_700_000_000_000))),
        batch(entry(message("hi", ts=1_700_000_001_000))),
    ]


@pytest.mark.parametrize(
    "page", ["1122334455667788", "acmebakery"], ids=["by-id", "by-username-alone"]
)
def test_registering_after_the_fact_relabels_contacts(
    page: str, ingest_lines: Any, query: Any, runner: CliRunner, db_path: Path
) -> None:
    ingest_lines(qr_contact_lines())
    assert query.scalar("SELECT channel FROM contacts WHERE psid = ?", PSID) == "m_me_link"
    res = runner.invoke(
        cli,
        ["links", "create", "--page", page, "--ref", "qr_flyer", "--channel", "qr",
         "--out", str(db_path.parent / "codes"), "--db", str(db_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts WHERE psid = ?", PSID) == "qr_code"
    assert query.scalar("SELECT channel FROM touches WHERE psid = ?", PSID) == "qr_code"
    assert set(query("SELECT DISTINCT channel FROM events WHERE ref = 'qr_flyer'")) == {
        ("qr_code",)
    }
    assert decode((db_path.parent / "codes" / "qr_flyer.png").read_bytes()) == (
        f"https://m.me/{page}?ref=qr_flyer"
    )


def test_a_username_link_finds_its_page_through_pages(
    ingest_lines: Any, query: Any, runner: CliRunner, db_path: Path
) -> None:
    ingest_lines(qr_contact_lines())
    # Another page registered the same ref: the ref alone no longer decides.
    for page in ("acmebakery", "northwindcoffee"):
        args = ["links", "create", "--page", page, "--ref", "qr_flyer", "--channel", "qr"]
        res = runner.invoke(cli, [*args, "--out", str(db_path.parent), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts") == "m_me_link"
    res = runner.invoke(
        cli, ["pages", "set", PAGE_ID, "--username", "acmebakery", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT channel FROM contacts") == "qr_code"


def test_pages_set_keeps_what_it_is_not_given(runner: CliRunner, query: Any, db_path: Path) -> None:
    def pages_set(*args: str) -> Any:
        return runner.invoke(cli, ["pages", "set", PAGE_ID, *args, "--db", str(db_path)])

    assert pages_set("--username", "acmebakery", "--name", "Acme").exit_code == 0
    res = pages_set("--name", "Acme Bakery")
    assert res.exit_code == 0, res.output
    assert "username acmebakery, name Acme Bakery" in res.output
    res = pages_set()  # nothing to set: refused, nothing wiped
    assert res.exit_code == 2 and "give --username, --name or both" in res.output
    assert query("SELECT page_id, username, name FROM pages") == [
        (PAGE_ID, "acmebakery", "Acme Bakery")
    ]


@pytest.mark.parametrize("username", ["67890", "", "abc", "shop.com", "my shop"])
def test_pages_set_refuses_a_username_that_is_none(
    runner: CliRunner, query: Any, db_path: Path, username: str
) -> None:
    # All digits is another page's id: taking it for a username would make two pages one.
    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", username, "--db",
                              str(db_path)])  # fmt: skip
    assert res.exit_code != 0
    assert f"invalid username {username!r}: {links.USERNAME_RULE}" in res.output
    assert query("SELECT count(*) FROM pages") == [(0,)]


def test_pages_set_refuses_to_give_one_page_two_meanings_for_a_ref(
    runner: CliRunner, query: Any, db_path: Path
) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(cli, [*args, "--db", str(db_path)])

    for page, channel in ((PAGE_ID, "qr"), ("acmebakery", "link")):
        res = run("links", "create", "--page", page, "--ref", "ok1", "--channel", channel,
                  "--out", str(db_path.parent))  # fmt: skip
        assert res.exit_code == 0, res.output
    res = run("pages", "set", PAGE_ID, "--username", "acmebakery")
    assert res.exit_code != 0
    assert "ref 'ok1' is already registered for page" in res.output
    assert links.ONE_MEANING_RULE in res.output and "would make them one page" in res.output
    assert query("SELECT count(*) FROM pages") == [(0,)]  # nothing written
    # The same meaning under both names is one link twice: the mapping is taken.
    for page in (OTHER_PAGE_ID, "NorthwindCoffee"):
        res = run("links", "create", "--page", page, "--ref", "ok2", "--channel", "qr", "--out",
                  str(db_path.parent))  # fmt: skip
        assert res.exit_code == 0, res.output
    res = run("pages", "set", OTHER_PAGE_ID, "--username", "northwindcoffee")
    assert res.exit_code == 0, res.output


def test_a_username_moves_to_the_page_set_last(
    runner: CliRunner, query: Any, db_path: Path
) -> None:
    # Facebook gives a username to one page at a time: two ids under one username would count
    # a link made by username for both pages.
    def pages_set(page_id: str, *args: str) -> Any:
        return runner.invoke(cli, ["pages", "set", page_id, *args, "--db", str(db_path)])

    assert pages_set(PAGE_ID, "--username", "acmebakery", "--name", "Acme").exit_code == 0
    res = pages_set(OTHER_PAGE_ID, "--username", "AcmeBakery")
    assert res.exit_code == 0, res.output
    assert f"page {PAGE_ID} no longer has username AcmeBakery" in res.stderr
    assert query("SELECT page_id, username, name FROM pages ORDER BY page_id") == sorted(
        [(PAGE_ID, None, "Acme"), (OTHER_PAGE_ID, "AcmeBakery", None)]
    )
    res = pages_set(OTHER_PAGE_ID, "--username", "AcmeBakery")  # again: nothing moves
    assert res.exit_code == 0 and "no longer" not in res.stderr


def test_a_link_registered_before_the_ingest_attributes_directly(
    ingest_lines: Any, query: Any, db_path: Path
) -> None:
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(PAGE_ID, "qr_flyer", "qr")])
    finally:
        con.close()
    ingest_lines(qr_contact_lines())
    assert query.scalar("SELECT channel FROM contacts") == "qr_code"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("page,ref,channel,campaign,placement,notes\n" + "\n".join(rows) + "\n")
    return path


def test_import_is_all_or_nothing_and_names_each_bad_row(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "flyers.csv",
        [
            "acmebakery,store_1,qr,spring,store 1,",
            "acme,store_2,qr,spring,store 2,",
            "acmebakery,bad ref,qr,spring,store 3,",
            "acmebakery,store_1,qr,spring,store 1 again,",
        ],
    )
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code != 0
    assert "line 3: invalid page 'acme'" in res.output
    assert "line 4: invalid ref 'bad ref'" in res.output
    assert "line 5: ref 'store_1' for page 'acmebakery' is on line 2 with placement" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_import_writes_codes_and_a_print_sheet(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    rows = [f"acmebakery,store_{i},qr,spring,Store {i},window" for i in range(1, 15)]
    csv_file = write_csv(tmp_path / "flyers.csv", rows)
    out = tmp_path / "codes"
    res = runner.invoke(
        cli, ["links", "import", str(csv_file), "--out", str(out), "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT count(*) FROM tracked_links WHERE channel = 'qr_code'") == 14
    for i in (1, 14):
        assert decode((out / f"store_{i}.png").read_bytes()).endswith(f"ref=store_{i}")
        assert decode(svg_to_png((out / f"store_{i}.svg").read_bytes())).endswith(f"ref=store_{i}")
    reader = PdfReader(out / "print-sheet.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 2  # 9 cells a page
    assert "store_1" in text and "store_14" in text and "spring / Store 7" in text


def test_links_qr_regenerates_a_registered_code(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "bio_link", *args])
    res = runner.invoke(cli, ["links", "qr", "bio_link", "--out", str(tmp_path), *args])
    assert res.exit_code == 0, res.output
    assert (
        decode((tmp_path / "bio_link.png").read_bytes()) == "https://m.me/acmebakery?ref=bio_link"
    )
    res = runner.invoke(cli, ["links", "qr", "nobody", *args])
    assert res.exit_code != 0 and "not registered" in res.output


def test_cli_refuses_a_bad_ref_with_the_rule(runner: CliRunner, db_path: Path) -> None:
    res = runner.invoke(
        cli, ["links", "create", "--page", "acmebakery", "--ref", "a b", "--db", str(db_path)]
    )
    assert res.exit_code != 0
    assert "A-Z a-z 0-9 _ - =" in res.output


@pytest.mark.parametrize("ref", ["", "  "])
def test_cli_refuses_an_empty_ref_given_with_the_rule(
    runner: CliRunner, db_path: Path, query: Any, ref: str
) -> None:
    """`--ref "$REF"` with REF unset is a bad ref: it did not register a ref built from the
    campaign (or say "without a ref, give a campaign"), as leaving --ref out does."""
    args = ["links", "create", "--page", "acmebakery", "--campaign", "spring", "--ref", ref]
    res = runner.invoke(cli, [*args, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert "invalid ref '' (0 characters): a ref uses only A-Z a-z 0-9 _ - =" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


# --- the registered URL, one page under two names, the naming convention, --out, list -------


def test_links_qr_and_create_again_keep_the_registered_redirect_url(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    create = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--channel", "qr"]
    redirect = "https://go.example/r/flyer?page=acmebakery&qr=1"
    res = runner.invoke(cli, [*create, "--via-redirect", "https://go.example", *args,
                              "--out", str(tmp_path / "first")])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(tmp_path / "again"), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "again" / "flyer.png").read_bytes()) == redirect
    assert decode(svg_to_png((tmp_path / "again" / "flyer.svg").read_bytes())) == redirect
    # The same link made again without --via-redirect: a no-op whose code still counts scans.
    res = runner.invoke(cli, [*create, "--out", str(tmp_path / "third"), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "third" / "flyer.png").read_bytes()) == redirect
    assert res.stdout.strip() == redirect
    assert "the registered URL is kept, not https://m.me/acmebakery?ref=flyer" in res.output


def test_a_username_and_its_page_id_are_one_page_for_one_meaning_per_ref(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    def create(page: str, channel: str) -> Any:
        args = ["--ref", "x", "--channel", channel, "--out", str(tmp_path), "--db", str(db_path)]
        return runner.invoke(cli, ["links", "create", "--page", page, *args])

    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", "CafeShop1", "--db",
                              str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert create("cafeshop1", "qr").exit_code == 0
    res = create(PAGE_ID, "link")
    assert res.exit_code == 1
    assert "ref 'x' is already registered for page 'cafeshop1' with channel 'qr_code'" in (
        res.output
    )
    assert "a ref means one thing per page (a username and its page id" in res.output
    # The same attributes under the other name: a no-op that prints the registered URL.
    res = create(PAGE_ID, "qr")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "https://m.me/cafeshop1?ref=x"
    assert query("SELECT page, channel FROM tracked_links") == [("cafeshop1", "qr_code")]


def test_a_long_campaign_is_shortened_and_keeps_placement_and_month() -> None:
    month = dt.date(2026, 3, 1)
    window = links.conventional_ref("spring " * 60, "window", month)
    counter = links.conventional_ref("spring " * 60, "counter", month)
    assert window != counter
    assert len(window) == len(counter) == 250
    assert window.startswith("spring_spring") and window.endswith("_spri-window-2026_03")
    assert counter.endswith("-counter-2026_03")
    # A placement that fills the room before the month leaves none for the campaign.
    longest = links.conventional_ref("spring", "x" * 242, month)
    assert longest == "x" * 242 + "-2026_03"


@pytest.mark.parametrize("campaign", [None, "spring"])
def test_a_placement_too_long_for_a_ref_is_refused_not_cut(campaign: str | None) -> None:
    """Cut, two long placements could share a ref: the rule is said instead."""
    with pytest.raises(ValidationError, match=r"placement makes 243 characters.*at most 250"):
        links.conventional_ref(campaign, "x" * 243, dt.date(2026, 3, 1))


def test_a_shared_ref_too_long_for_a_file_name_is_named_by_its_start_and_a_hash() -> None:
    ref = "L" * 250
    pages = ["acmeshop", "acme.shop.long.username.example"]
    names = links.code_names([links.make_link(p, ref, "qr") for p in pages] +
                             [links.make_link("acmeshop", "L" * 249 + "M", "qr"),
                              links.make_link("otherpage", "L" * 249 + "M", "qr")])  # fmt: skip
    assert len(set(names)) == 4
    for name, page in zip(names, [*pages, "acmeshop", "otherpage"], strict=True):
        assert len(f"{name}.png".encode()) <= 255
        assert name.startswith("L" * 200) and name.endswith(f".{page}") and "~" in name
    short = links.code_names([links.make_link(p, "window", "qr") for p in pages])
    assert short == [f"window.{p}" for p in pages]


@pytest.mark.parametrize("command", ["create", "import", "qr"])
def test_an_out_that_cannot_be_written_is_refused_before_registering(
    command: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    out = ["--out", str(blocker / "codes"), "--db", str(db_path)]
    if command == "qr":
        con = db.connect(db_path)
        try:
            links.register(con, [links.make_link("acmebakery", "window", "qr")])
        finally:
            con.close()
        res = runner.invoke(cli, ["links", "qr", "window", *out])
    elif command == "import":
        csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
        res = runner.invoke(cli, ["links", "import", str(csv_file), *out])
    else:
        res = runner.invoke(
            cli, ["links", "create", "--page", "acmebakery", "--ref", "window", "--channel", "qr",
                  *out],
        )  # fmt: skip
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # a message, not a traceback
    assert "cannot write codes to" in res.output
    assert "--out must be a directory refscope can create and write to" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == (command == "qr")


def test_links_list_piped_prints_whole_values(runner: CliRunner, db_path: Path) -> None:
    long_ref = "newsletter_" + "x" * 80
    url = f"https://go.example/r/{long_ref}?page=acmebakery&qr=0"
    args = ["--page", "acmebakery", "--ref", long_ref, "--campaign", "Spring  Sale"]
    res = runner.invoke(cli, ["links", "create", *args, "--via-redirect", "https://go.example",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    header, row = res.output.splitlines()
    assert header.split("\t") == ["ref", "page", "channel", "campaign", "placement", "url",
                                  "created"]  # fmt: skip
    assert row.split("\t")[:6] == [long_ref, "acmebakery", "m_me_link", "Spring  Sale", "", url]


@pytest.mark.parametrize(
    "page",
    ["ſhopſ1", "\u212aelvinshop", "café.shop", "shop\uff11234"],
    ids=["long-s", "kelvin-sign", "accent", "fullwidth-digit"],
)
def test_a_page_username_is_ascii(page: str) -> None:
    with pytest.raises(ValidationError, match="5 to 50 ASCII letters, digits and periods"):
        links.check_page(page)


def create_links_page(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The dashboard's Create links page on db_path, through Streamlit's AppTest."""
    from streamlit.testing.v1 import AppTest  # only these tests drive the dashboard

    monkeypatch.setenv("REFSCOPE_DB", str(db_path))
    app = Path(__file__).resolve().parents[2] / "dashboard" / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.switch_page("app_pages/create_links.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_registering_a_seen_ref_on_the_page_shows_the_new_registry_at_once(
    ingest_lines: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_lines(qr_contact_lines())
    at = create_links_page(db_path, monkeypatch)
    assert "No links registered yet." in [c.value for c in at.caption]
    (button,) = [b for b in at.button if b.label == "Register as QR code"]
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.toast] == ["Registered qr_flyer."]
    assert list(at.dataframe[0].value["ref"]) == ["qr_flyer"]
    assert "Refs seen in the logs but not registered" not in [s.value for s in at.subheader]


def test_the_page_previews_a_registered_link_with_its_registered_url(
    ingest_lines: Any, runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_lines(qr_contact_lines())
    args = ["--page", "acmebakery", "--ref", "bio_link", "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    at = create_links_page(db_path, monkeypatch)
    at.selectbox[0].select("other…").run()
    at.text_input[0].input("AcmeBakery").run()  # page
    at.text_input[3].input("bio_link").run()  # ref
    redirect = "https://go.example/r/bio_link?page=acmebakery&qr=0"
    assert [c.value for c in at.code] == [redirect]  # the URL the downloads encode


@pytest.mark.parametrize(
    ("registered_as", "previewed_as"),
    [(PAGE_ID, "AcmeBakery"), ("acmebakery", PAGE_ID)],
    ids=["id-previewed-by-username", "username-previewed-by-id"],
)
def test_the_page_previews_a_link_of_the_same_page_under_its_other_name_with_its_url(
    ingest_lines: Any,
    runner: CliRunner,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    registered_as: str,
    previewed_as: str,
) -> None:
    """A username and the page id `pages` maps it to are one page: the registry holds the link
    already (`links create` keeps its URL), so the preview and its downloads encode the
    registered redirect, not an m.me URL that counts no scan (the page offers the username)."""
    ingest_lines(qr_contact_lines())
    res = runner.invoke(
        cli, ["pages", "set", PAGE_ID, "--username", "acmebakery", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    args = ["--page", registered_as, "--ref", "bio_link", "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    redirect = f"https://go.example/r/bio_link?page={registered_as}&qr=0"
    res = runner.invoke(cli, ["links", "create", "--page", previewed_as, "--ref", "bio_link",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0 and res.stdout.strip() == redirect, res.output
    at = create_links_page(db_path, monkeypatch)
    at.selectbox[0].select("other…").run()
    at.text_input[0].input(previewed_as).run()  # page
    at.text_input[3].input("bio_link").run()  # ref
    assert [c.value for c in at.code] == [redirect]  # the URL the downloads encode


def test_links_list_and_qr_only_read_so_they_run_beside_a_reader(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    args = ["--page", "acmebakery", "--ref", "flyer", "--channel", "qr", "--out", str(tmp_path)]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    # Another process holds the file open read-only (a dashboard's query, say): a writer
    # would have to wait for it.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
         "read_only=True); print('ready', flush=True); time.sleep(60)", str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
        assert res.exit_code == 0 and "flyer" in res.output, res.output
        out = tmp_path / "again"
        res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(out), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        assert (out / "flyer.png").is_file()
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe


def test_the_m_me_url_carries_the_ref_url_encoded() -> None:
    # Meta: the ref "must be URL-encoded"; of the ref characters only '=' changes.
    link = links.make_link("acmebakery", "utm=spring-2026_03")
    assert link.url == "https://m.me/acmebakery?ref=utm%3Dspring-2026_03"
