"""`refscope links import`: all or nothing, each bad row named, codes and a print sheet written,
and which links keep their registered URL said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ingest.cli import cli
from tests.ingest.links_setup import decode, svg_to_png, write_csv


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


def test_links_import_says_which_links_keep_their_registered_url(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Imported again with --via-redirect, links registered before kept their m.me URL (and
    their codes encoded it, so scans went uncounted) without a word; `links create` says so."""
    csv_file = write_csv(
        tmp_path / "flyers.csv", ["acmebakery,window,qr,,,", "acmebakery,till,link,,,"]
    )
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    more = write_csv(tmp_path / "more.csv", ["acmebakery,window,qr,,,", "acmebakery,till,link,,,",
                                             "acmebakery,door,qr,,,"])  # fmt: skip
    res = runner.invoke(cli, ["links", "import", str(more), "--via-redirect", "https://go.example",
                              "--out", str(tmp_path / "codes"), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "registered 1 new link (2 already there)" in res.stdout
    assert "(2 links registered before keep their registered URL, not the one this import " \
        "gives: window, till; see `refscope links list`)" in res.stderr  # fmt: skip
    assert decode((tmp_path / "codes" / "window.png").read_bytes()) == \
        "https://m.me/acmebakery?ref=window"  # fmt: skip
    # Nothing kept, nothing said.
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0 and "registered URL" not in res.output, res.output


def test_links_import_names_the_page_of_a_kept_ref_that_several_rows_share(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Two pages' flyers of one ref were listed as `qr_flyer_spring, …, qr_flyer_spring`,
    saying nothing of which row was which: each such ref is named with its page."""
    rows = ["acmebakery,qr_flyer_spring,qr,,,", "acmebakery,window,qr,,,",
            "203948571620394,qr_flyer_spring,qr,,,"]  # fmt: skip
    csv_file = write_csv(tmp_path / "flyers.csv", rows)
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--via-redirect",
                              "https://go.example", "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (
        "not the one this import gives: qr_flyer_spring (page acmebakery), window, "
        "qr_flyer_spring (page 203948571620394); see `refscope links list`)"
    ) in res.stderr


def test_qr_options_without_out_say_that_no_code_was_written(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path, monkeypatch: Any
) -> None:
    """`links import flyers.csv --logo logo.png` (no --out) registered the links and wrote no
    code, without a word: the codes styled with the logo were looked for in vain."""
    monkeypatch.chdir(tmp_path)
    csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
    args = ["--fg", "navy", "--box-size", "20", "--db", str(db_path)]
    res = runner.invoke(cli, ["links", "import", str(csv_file), *args])
    assert res.exit_code == 0, res.output
    assert res.stdout == "registered 1 new link (0 already there)\n"
    assert res.stderr == (
        "(no QR code was written: --box-size, --fg are for the codes --out writes; give --out "
        "DIR to write them)\n"
    )
    assert query.scalar("SELECT channel FROM tracked_links") == "qr_code"
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".png", ".svg", ".pdf")]


def test_an_import_without_out_or_qr_options_says_nothing_of_codes(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""


@pytest.mark.parametrize("refusal", ["url-too-long", "url-too-long-new-db", "db-unusable"])
def test_an_import_refused_as_a_whole_leaves_no_out_folder(
    refusal: str, tmp_path: Path, runner: CliRunner, db_path: Path, query: Any
) -> None:
    """`links import --out DIR` refused after --out was checked (a URL no code holds, with a
    database or before one is made; a --db it cannot use) left DIR made and empty: it now
    leaves no folder it made, and nothing registered."""
    csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
    (tmp_path / "a-file").write_text("not a directory")
    long_base = ["--via-redirect", "https://go.example.com/" + "a" * 2400]
    args = {"url-too-long": [*long_base, "--db", str(db_path)],
            "url-too-long-new-db": [*long_base, "--db", str(tmp_path / "new.duckdb")],
            "db-unusable": ["--db", str(tmp_path / "a-file" / "x.duckdb")]}  # fmt: skip
    out = tmp_path / "print" / "codes"
    res = runner.invoke(cli, ["links", "import", str(csv_file), *args[refusal], "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # a refusal, not a traceback
    assert not (tmp_path / "print").exists()
    assert not (tmp_path / "new.duckdb").exists()
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
