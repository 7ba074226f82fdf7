"""Code files of refs equal but for case (`Spring`, `spring`): a file system that ignores case,
as macOS's and Windows' do by default, holds one file for `Spring.png` and `spring.png`, so the
second code was written over the first (and the import said it replaced a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest import links
from ingest.cli import cli
from tests.ingest.links_setup import decode


def test_refs_equal_but_for_case_get_file_names_equal_in_no_case() -> None:
    codes = [links.make_link(page, ref, "qr") for page, ref in [
        ("acmebakery", "Spring"), ("acmebakery", "spring"), ("acmebakery", "summer"),
        ("acmebakery", "Window"), ("otherbakery", "Window"), ("acmebakery", "window"),
        ("otherbakery", "window"), ("acmebakery", "S" * 250), ("acmebakery", "s" * 250),
    ]]  # fmt: skip
    names = links.code_names(codes)
    assert len({name.casefold() for name in names}) == len(codes), names
    assert all(len(f"{name}.png".encode()) <= 255 for name in names)
    assert names[2] == "summer"  # a name no other shares in any case is the ref
    assert names[0].startswith("Spring~") and names[1].startswith("spring~")
    assert names[3].startswith("Window~") and names[3].endswith(".acmebakery")
    assert links.case_twins(codes) == sorted(
        ["Spring", "spring", "Window", "window", "S" * 250, "s" * 250]
    )


def test_an_import_writes_one_code_file_for_each_ref_of_refs_equal_but_for_case(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    csv_file = tmp_path / "flyers.csv"
    csv_file.write_text(
        "page,ref,channel\nacmebakery,Spring,qr\nacmebakery,spring,qr\nacmebakery,summer,qr\n",
        encoding="utf-8",
    )
    out = tmp_path / "print"
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--out", str(out),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.iterdir())
    assert len({name.casefold() for name in files}) == len(files) == 7, files  # and the sheet
    by_url: dict[str, Any] = {}
    for png in out.glob("*.png"):
        by_url[decode(png.read_bytes())] = png.name
    assert sorted(by_url) == [f"https://m.me/acmebakery?ref={r}" for r in ("Spring", "spring",
                                                                          "summer")]  # fmt: skip
    assert by_url["https://m.me/acmebakery?ref=summer"] == "summer.png"
    assert "refs differ only in case" in res.output and "Spring, spring" in res.output
    assert "replaced" not in res.output


def test_a_code_written_alone_takes_no_file_of_a_ref_equal_but_for_case(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """`links create` and `links qr` write one code: `spring` beside a registered `Spring` was
    spring.png, the file of Spring.png to a file system that ignores case."""
    out = tmp_path / "codes"
    lines: list[str] = []
    for args in (["create", "--page", "acmebakery", "--ref", "Spring", "--channel", "qr"],
                 ["create", "--page", "acmebakery", "--ref", "spring", "--channel", "qr"],
                 ["create", "--page", "acmebakery", "--ref", "SPRING", "--channel", "link"],
                 ["qr", "Spring"], ["qr", "spring"]):  # fmt: skip
        res = runner.invoke(cli, ["links", *args, "--out", str(out), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        lines += res.output.splitlines()
    files = sorted(p.name for p in out.glob("*.png"))
    assert files[0] == "Spring.png"  # written while no twin was registered
    assert files[1].startswith("Spring~") and files[2].startswith("spring~"), files
    assert len({name.casefold() for name in files}) == len(files) == 3
    replaced = {Path(line.split()[1]).name for line in lines if line.startswith("replaced")}
    assert replaced == {files[2], files[2].replace(".png", ".svg")}  # `qr spring`: its own code
    for name, ref in zip(files, ("Spring", "Spring", "spring"), strict=True):
        assert decode((out / name).read_bytes()) == f"https://m.me/acmebakery?ref={ref}"
    assert "another QR code's ref differs from spring only in case" in "\n".join(lines)


def test_a_code_written_alone_takes_no_file_of_the_same_ref_on_another_page(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """`links qr REF --page A` then `--page B` into one folder wrote spring.png twice, the second
    page's code over the first's; each is now `<ref>.<page>`, as an import names them."""
    out = tmp_path / "codes"
    lines: list[str] = []
    for args in (["create", "--page", "acmebakery", "--ref", "spring", "--channel", "qr"],
                 ["create", "--page", "otherbakery", "--ref", "spring", "--channel", "qr"],
                 ["qr", "spring", "--page", "acmebakery"],
                 ["qr", "spring", "--page", "otherbakery"]):  # fmt: skip
        res = runner.invoke(cli, ["links", *args, "--out", str(out), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        lines += res.output.splitlines()
    files = sorted(p.name for p in out.glob("*.png"))
    # spring.png: written by the first create, while spring was one page's code
    assert files == ["spring.acmebakery.png", "spring.otherbakery.png", "spring.png"], files
    for page in ("acmebakery", "otherbakery"):
        png = (out / f"spring.{page}.png").read_bytes()
        assert decode(png) == f"https://m.me/{page}?ref=spring"
    replaced = {Path(line.split()[1]).name for line in lines if line.startswith("replaced")}
    assert replaced == {"spring.otherbakery.png", "spring.otherbakery.svg"}  # its own code
    assert "spring is a QR code of several pages" in "\n".join(lines)


def test_an_import_takes_no_file_of_the_same_ref_registered_for_another_page(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """An import's `spring` of otherbakery, into the folder `links create` wrote acmebakery's
    spring.png in, replaced that file: the import named `<ref>.<page>` only refs on several
    pages of its own file."""
    out = tmp_path / "print"
    create = ["create", "--page", "acmebakery", "--ref", "spring", "--channel", "qr"]
    res = runner.invoke(cli, ["links", *create, "--out", str(out), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    csv_file = tmp_path / "flyers.csv"
    csv_file.write_text("page,ref,channel\notherbakery,spring,qr\n", encoding="utf-8")
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--out", str(out),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert decode((out / "spring.png").read_bytes()) == "https://m.me/acmebakery?ref=spring"
    png = (out / "spring.otherbakery.png").read_bytes()
    assert decode(png) == "https://m.me/otherbakery?ref=spring"
    assert "replaced" not in res.output
    assert "their ref is on several pages: spring" in res.output
