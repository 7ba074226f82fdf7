"""`refscope links import`: conflicts with the registry and inside the file, code files that
never overwrite each other, and a refused file that writes nothing (the file as read:
test_links_import_csv.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ingest.cli import cli
from tests.factories import PAGE_ID
from tests.ingest.links_setup import HEADER, decode, import_csv, svg_to_png, write


def test_registry_conflicts_are_reported_per_row_with_the_other_errors(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    res = runner.invoke(cli, ["pages", "set", PAGE_ID, "--username", "acmebakery",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    first = write(tmp_path / "first.csv", f"{HEADER}\nacmebakery,window,qr,spring,,\n"
                  "acmebakery,door,qr,spring,,\n")  # fmt: skip
    assert import_csv(runner, db_path, first).exit_code == 0
    second = write(
        tmp_path / "second.csv",
        f"{HEADER}\n"
        "acmebakery,door,qr,spring,,\n"  # line 2: registered with these attributes: a no-op
        "AcmeBakery,window,link,spring,,\n"  # line 3: registered as a QR code
        f"{PAGE_ID},window,qr,summer,,\n"  # line 4: the same page by id, another campaign
        "acme,counter,qr,,,\n"  # line 5: a bad page
        "acmebakery,till,qr,,,\n",  # line 6: fine
    )
    res = import_csv(runner, db_path, second)
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    assert [x.split(":")[0] for x in lines] == ["3", "4", "5"]
    assert "ref 'window' is already registered for page 'acmebakery' with channel 'qr_code' " \
        "(here 'm_me_link'): a ref means one thing per page" in lines[0]  # fmt: skip
    assert "campaign 'spring' (here 'summer')" in lines[1]
    assert "3 invalid rows; nothing was registered" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 2


def test_a_repeated_row_is_a_no_op_and_a_changed_one_names_both_lines(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    same = write(tmp_path / "same.csv", f"{HEADER}\nacmebakery,window,qr,spring,,\n"
                 "acmebakery,window,qr,spring,,\n")  # fmt: skip
    res = import_csv(runner, db_path, same)
    assert res.exit_code == 0, res.output
    assert "registered 1 new link (0 already there)" in res.output
    changed = write(tmp_path / "changed.csv", f"{HEADER}\nacmebakery,door,qr,spring,,\n"
                    "acmebakery,door,qr,summer,,\n")  # fmt: skip
    res = import_csv(runner, db_path, changed)
    assert res.exit_code == 1
    assert "line 3: ref 'door' for page 'acmebakery' is on line 2 with campaign 'spring' " \
        "(here 'summer'): a ref means one thing per page" in res.output  # fmt: skip
    assert query.scalar("SELECT count(*) FROM tracked_links") == 1


def test_one_ref_on_two_pages_gives_two_code_files(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    csv_file = write(
        tmp_path / "links.csv",
        f"{HEADER}\n1122334455667788,qr_flyer_spring,qr,demo,,\n"
        "203948571620394,qr_flyer_spring,qr,demo,,\n1122334455667788,qr_window,qr,demo,,\n",
    )
    out = tmp_path / "codes"
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "as their ref is on several pages: qr_flyer_spring" in res.output
    for page in ("1122334455667788", "203948571620394"):
        url = f"https://m.me/{page}?ref=qr_flyer_spring"
        assert decode((out / f"qr_flyer_spring.{page}.png").read_bytes()) == url
        assert decode(svg_to_png((out / f"qr_flyer_spring.{page}.svg").read_bytes())) == url
    assert decode((out / "qr_window.png").read_bytes()).endswith("ref=qr_window")
    assert not (out / "qr_flyer_spring.png").exists()
    # Writing them again says so: no file is replaced silently.
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert f"replaced 7 files that were already in {out}" in res.output


def test_a_longest_ref_on_two_pages_is_written_under_names_a_file_system_takes(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    ref = "L" * 250  # `<ref>.<page>.png` would pass the 255-byte limit of a file name
    pages = ("acmeshop", "acme.shop.long.username.example")
    csv_file = write(tmp_path / "long.csv", f"{HEADER}\n" + "".join(
        f"{page},{ref},qr,,,\n" for page in pages))  # fmt: skip
    out = tmp_path / "codes"
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 0, res.output
    for page in pages:
        (png,) = out.glob(f"*~*.{page}.png")
        assert decode(png.read_bytes()) == f"https://m.me/{page}?ref={ref}"
        assert len(png.name.encode()) <= 255 and png.name.startswith("L" * 200)
    assert (out / "print-sheet.pdf").exists()


@pytest.mark.parametrize(
    "rows",
    ["acmebakery,menu,link,,,\nacmebakery,bio,,,,\n", ""],
    ids=["only-link-rows", "header-only"],
)
def test_a_file_without_qr_rows_writes_no_codes_and_no_sheet(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path, rows: str
) -> None:
    """Codes are for `qr` rows: a file of links only wrote a code for each link (whose scans
    count as m.me link clicks) and a print sheet of them; a header alone, an empty sheet."""
    csv_file = write(tmp_path / "links.csv", f"{HEADER}\n{rows}")
    out = tmp_path / "codes"
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 0, res.output
    # A notice, as "(no QR code was written: …)": on stderr, stdout says what was registered.
    assert f"{csv_file} has no qr rows, so nothing was written to {out}" in res.stderr
    assert "no qr rows" not in res.stdout and res.stdout.startswith("registered "), res.stdout
    assert not out.exists()
    assert query.scalar("SELECT count(*) FROM tracked_links") == rows.count("\n")


def test_a_file_mixing_link_and_qr_rows_writes_the_qr_codes_only(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    csv_file = write(tmp_path / "links.csv", f"{HEADER}\nacmebakery,menu,link,,,\n"
                     "acmebakery,window,qr,,,\n")  # fmt: skip
    out = tmp_path / "codes"
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "wrote 1 code and" in res.stdout
    assert sorted(x.name for x in out.iterdir()) == ["print-sheet.pdf", "window.png", "window.svg"]
    text = "\n".join(page.extract_text() for page in PdfReader(out / "print-sheet.pdf").pages)
    assert "window" in text and "menu" not in text


@pytest.mark.parametrize(
    "body",
    [
        b"page,ref,channel\nacmebakery,window,qr\nacmebakery,a door,qr\n",  # a bad row
        b"page,ref,colour\nacmebakery,window,red\n",  # an unknown column
        "page,ref,notes\nacmebakery,window,Café\n".encode("cp1252"),  # not UTF-8
    ],
    ids=["bad row", "unknown column", "not utf-8"],
)
def test_a_refused_file_makes_no_database(tmp_path: Path, runner: CliRunner, body: bytes) -> None:
    """Nothing is written when a file is refused: `--db` naming no database yet (a first
    import, or a mistyped path) got a new database file with refscope's tables in it."""
    csv_file = tmp_path / "links.csv"
    csv_file.write_bytes(body)
    new_db = tmp_path / "new.duckdb"
    res = import_csv(runner, new_db, csv_file)
    assert res.exit_code == 1, res.output
    assert not new_db.exists() and not list(tmp_path.glob("new.duckdb*"))
    # A good file makes it, as before.
    csv_file.write_bytes(b"page,ref\nacmebakery,window\n")
    res = import_csv(runner, new_db, csv_file)
    assert res.exit_code == 0 and new_db.exists(), res.output


def test_an_out_that_cannot_be_written_makes_no_database(tmp_path: Path, runner: CliRunner) -> None:
    """`--out` under a file is refused before anything is registered, and (a first import)
    before a database is made: one was left behind, with nothing registered in it."""
    csv_file = write(tmp_path / "links.csv", "page,ref,channel\nacmebakery,window,qr\n")
    (tmp_path / "a-file").write_text("")
    new_db = tmp_path / "new.duckdb"
    res = import_csv(runner, new_db, csv_file, "--out", str(tmp_path / "a-file" / "codes"))
    assert res.exit_code == 1 and "--out must be a directory" in res.output, res.output
    assert not list(tmp_path.glob("new.duckdb*"))
