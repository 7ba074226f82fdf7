"""`refscope links import` stopped by Ctrl-C or SIGTERM, in a process of its own: it says what it
leaves and exits as the long commands do (130, 143), and leaves no code file cut short."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.ingest.cli_setup import _refscope, _stopped
from tests.ingest.links_setup import write_csv

ROWS = 40


def _whole_svg(path: Path) -> bool:
    try:
        return path.read_bytes().rstrip().endswith(b"</svg>")
    except FileNotFoundError:  # a code cut short, removed as the stop is taken
        return False


def _started(csv_file: Path, db_file: Path, out: Path, until: str, cwd: Path) -> Any:
    """`links import` of csv_file, once out holds a whole SVG code matching until (or, with "",
    once out is made: its rows being checked). A file that merely exists may still be being
    written, and a stop then removes it, leaving no code at all."""
    proc = _refscope("links", "import", str(csv_file), "--db", str(db_file), "--out", str(out),
                     cwd=cwd)  # fmt: skip
    deadline = time.monotonic() + 120

    def there() -> bool:
        return out.is_dir() and (not until or any(_whole_svg(p) for p in out.glob(until)))

    while proc.poll() is None and not there() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, proc.communicate()
    return proc


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_an_import_stopped_while_writing_codes_says_they_are_not_all_written(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Ctrl-C said click's bare "Aborted!" with exit 1, and SIGTERM ended it without a word,
    its links registered and some of their codes written."""
    rows = [f"acmebakery,spot_{i},QR,spring,Spot {i}," for i in range(ROWS)]
    csv_file = write_csv(tmp_path / "spots.csv", rows)
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "codes"
    proc = _started(csv_file, db_file, out, "*.svg", tmp_path)
    stdout, stderr = _stopped(proc, sig, code)
    assert stdout == f"registered {ROWS} new links (0 already there)\n", stdout
    assert stderr == (
        f"stopped: the file's links are registered, their code files and print sheet in {out} "
        "not all written (none cut short is left): run the same `refscope links import` again "
        "to write them\n"
    ), stderr
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM tracked_links").fetchone() == (ROWS,)
    finally:
        con.close()
    pngs, svgs = sorted(out.glob("*.png")), sorted(out.glob("*.svg"))
    assert 0 < len(svgs) < ROWS and not (out / "print-sheet.pdf").exists()
    for png in pngs:  # whole: a PNG's last chunk, an SVG's closing tag
        assert png.read_bytes().endswith(b"IEND\xaeB`\x82"), png
    for svg in svgs:
        assert svg.read_bytes().rstrip().endswith(b"</svg>"), svg


def test_an_import_stopped_while_checking_its_rows_writes_nothing(tmp_path: Path) -> None:
    rows = [f"acmebakery,spot_{i},qr,spring,Spot {i}," for i in range(ROWS)]
    csv_file = write_csv(tmp_path / "spots.csv", rows)
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "codes"
    proc = _started(csv_file, db_file, out, "", tmp_path)  # each code checked to scan
    stdout, stderr = _stopped(proc, signal.SIGINT, 130)
    assert (stdout, stderr) == ("", "stopped before registering anything: no link was "
                                "registered, no code written\n")  # fmt: skip
    assert not out.exists() and not db_file.exists()
