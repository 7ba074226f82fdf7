"""Tracked links and QR codes: rules, codes that scan back to their URL, import, re-labelling."""

from __future__ import annotations

import datetime as dt
import io
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
from tests.factories import PAGE_ID, PSID, batch, entry, message, postback, referral_obj


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
        with pytest.raises(ValidationError, match="5 to 50 letters, digits and periods"):
            links.check_page(page)


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example", "https://x y.example", "example.org", "https://x.example/?a=1", "https://"],
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
    assert "line 5: ref 'store_1' repeats line 2" in res.output
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
