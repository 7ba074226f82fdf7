"""`refscope links list` on terminals 40 to 200 columns wide: every link's URL whole on one line
(to copy, click or grep), and every other value it needs read whole, none blank or cut to "…"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.cli_setup import _on_a_terminal
from tests.ingest.links_setup import on_screen, whole

NEEDED = ("ref", "page", "channel", "campaign", "placement", "created")
LONG_REF = "newsletter_" + "x" * 235 + "_end"  # 250 characters, the longest a ref may be
# (page, ref, channel, campaign, placement, redirect address)
LINKS = [
    ("acmebakery", "spring_sale-store_12", "link", "Spring Sale", "Store #12, Main St", None),
    ("123456789012345", "window", "qr", None, "door", "https://go.example"),
    ("Acme.Bakery.Shop", LONG_REF, "link", "Ünïcødé Café 咖啡", None, "https://go.example/base"),
]


def registered(runner: CliRunner, db_path: Path, out: Path) -> list[dict[str, str]]:
    """The LINKS registered in db_path, each as `links list` prints it piped (by column)."""
    for page, ref, channel, campaign, placement, base in LINKS:
        args = ["--page", page, "--ref", ref, "--channel", channel, "--out", str(out),
                "--notes", "printed 500, " + "x" * 60, "--db", str(db_path)]  # fmt: skip
        args += ["--campaign", campaign] if campaign else []
        args += ["--placement", placement] if placement else []
        args += ["--via-redirect", base] if base else []
        res = runner.invoke(cli, ["links", "create", *args])
        assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    header, *rows = res.output.splitlines()
    listed = [dict(zip(header.split("\t"), row.split("\t"), strict=True)) for row in rows]
    assert [x["ref"] for x in listed] == [ref for _, ref, *_ in LINKS]
    return listed


@pytest.mark.parametrize("columns", [40, 60, 80, 200])
def test_links_list_prints_each_url_whole_on_one_line_and_every_value_readable(
    runner: CliRunner, db_path: Path, tmp_path: Path, columns: int
) -> None:
    """The URL column folded a long URL over several lines (not to be copied, clicked or grepped
    whole), and on 40 columns rich narrowed the other columns to nothing: blank cells."""
    listed = registered(runner, db_path, tmp_path / "codes")
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path, columns=columns)
    lines = screen.splitlines()
    for link in listed:
        assert any(link["url"] in line.split() for line in lines), (link["url"], screen)
    urls = {link["url"] for link in listed}
    assert all(len(line) <= columns for line in lines if not urls & set(line.split())), screen
    shown = on_screen(screen)
    assert len(shown) == len(listed), screen
    for link, seen in zip(listed, shown, strict=True):
        assert seen["url"].split()[-1] == link["url"], screen
        for name in NEEDED:
            want = link[name][:19] if name == "created" else link[name]  # to the second
            assert whole(seen.get(name, "")) == whole(want), (name, screen)
            assert "…" not in seen.get(name, ""), (name, screen)


def test_links_list_piped_prints_each_url_whole_on_one_line(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    listed = registered(runner, db_path, tmp_path / "codes")
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)], env={"COLUMNS": "40"})
    assert res.exit_code == 0, res.output
    rows = res.output.splitlines()[1:]
    assert [row.split("\t")[5] for row in rows] == [link["url"] for link in listed]
    assert listed[2]["url"] == f"https://go.example/base/r/{LONG_REF}?page=Acme.Bakery.Shop&qr=0"


def test_links_list_on_80_columns_is_a_table_without_the_notes_and_with_them_when_wider(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """An 80-column terminal, the usual one, listed each link as a block of 8 lines: the table's
    columns needed 98. It is now a table of every column but the notes (whole in --format tsv
    and csv), each URL whole under its row; a terminal of 120 keeps the notes' column."""
    listed = registered(runner, db_path, tmp_path / "codes")
    urls = {link["url"] for link in listed}
    for columns, names in ((80, NEEDED), (120, (*NEEDED, "notes"))):
        screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path,
                                columns=columns)  # fmt: skip
        lines = screen.splitlines()
        assert [cell.strip() for cell in lines[0].split("│")] == list(names), screen
        assert all(len(line) <= columns for line in lines if not urls & set(line.split())), screen
        shown = on_screen(screen)
        assert [seen["url"] for seen in shown] == [link["url"] for link in listed], screen
        for link, seen in zip(listed, shown, strict=True):
            assert {name: whole(seen.get(name, "")) for name in NEEDED} == {
                name: whole(link[name][:19] if name == "created" else link[name]) for name in NEEDED
            }, screen
            assert seen.get("notes", "printed 500, ").startswith("printed 500, "), screen
