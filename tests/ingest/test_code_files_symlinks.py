"""QR code files (`links create --out`, `links import --out`) and a symbolic link planted in the
output folder under a code's name: the file it points to is neither overwritten nor made, and
the refusal names the link."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.links_setup import HEADER, import_csv, write


def _planted(tmp_path: Path, name: str, target: str) -> tuple[Path, Path]:
    """The folder print/ holding a link `name` to elsewhere/target (not made): both paths."""
    out, elsewhere = tmp_path / "print", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / name).symlink_to(elsewhere / target)
    return out, elsewhere / target


def test_links_create_writes_no_code_through_a_symbolic_link(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    out, victim = _planted(tmp_path, "door.png", "notes.txt")
    victim.write_text("keep me")
    res = runner.invoke(cli, ["links", "create", "--db", str(db_path), "--page", "acmebakery",
                              "--ref", "door", "--channel", "qr", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert f"{out / 'door.png'} is a symbolic link" in res.output
    assert victim.read_text() == "keep me"
    assert (out / "door.png").is_symlink()


def test_links_import_makes_no_file_where_a_dangling_link_points(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    out, target = _planted(tmp_path, "print-sheet.pdf", "authorized_keys")
    csv_file = write(tmp_path / "links.csv", f"{HEADER}\nacmebakery,window,qr,spring,,\n")
    res = import_csv(runner, db_path, csv_file, "--out", str(out))
    assert res.exit_code == 1, res.output
    assert f"{out / 'print-sheet.pdf'} is a symbolic link" in res.output
    assert not target.exists()
