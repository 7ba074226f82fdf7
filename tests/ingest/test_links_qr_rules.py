"""`refscope links qr`: a bad ref or --page is refused with the rule it broke, and a ref
registered for other pages only says which, rather than that it is not registered."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.link_rules import PAGE_RULE, REF_RULE


@pytest.fixture
def registered(runner: CliRunner, db_path: Path, tmp_path: Path) -> Path:
    create = ["links", "create", "--page", "acmebakery", "--ref", "qr_flyer", "--channel", "qr"]
    res = runner.invoke(cli, [*create, "--out", str(tmp_path / "first"), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    return db_path


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["qr flyer"], f"invalid ref 'qr flyer' (' ' at character 3): {REF_RULE}"),
        ([""], f"invalid ref '' (0 characters): {REF_RULE}"),
        (["qr.flyer"], f"invalid ref 'qr.flyer' ('.' at character 3): {REF_RULE}"),
        (["qr_flyer", "--page", "0123"], f"invalid page '0123' (a page id starting with 0): "
                                         f"{PAGE_RULE}"),
        (["qr_flyer", "--page", "acme bakery"], f"invalid page 'acme bakery' (' ' at character "
                                                f"5): {PAGE_RULE}"),
    ],
)  # fmt: skip
def test_a_bad_ref_or_page_is_refused_with_its_rule(
    runner: CliRunner, registered: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    out = tmp_path / "codes"
    res = runner.invoke(cli, ["links", "qr", *args, "--out", str(out), "--db", str(registered)])
    assert res.exit_code == 1, res.output
    assert said in " ".join(res.output.split()), res.output
    assert "not registered" not in res.output
    assert not out.exists()


def test_a_ref_registered_for_another_page_names_that_page(
    runner: CliRunner, registered: Path, tmp_path: Path
) -> None:
    out = tmp_path / "codes"
    args = ["links", "qr", "qr_flyer", "--page", "otherbakery", "--out", str(out)]
    res = runner.invoke(cli, [*args, "--db", str(registered)])
    assert res.exit_code == 1, res.output
    assert "ref 'qr_flyer' is not registered for page 'otherbakery', only for 'acmebakery'" in (
        " ".join(res.output.split())
    ), res.output
    assert not out.exists()
    # By the page as registered, in another case or with periods, the code is written.
    res = runner.invoke(cli, [*args[:4], "Acme.Bakery", *args[5:], "--db", str(registered)])
    assert res.exit_code == 0, res.output
    assert (out / "qr_flyer.png").exists()


def test_a_code_the_disk_cannot_hold_is_not_left_cut_short(
    registered: Path, tmp_path: Path
) -> None:
    """A full disk (a file size limit stands in for one) left the PNG cut short (empty) where
    the code was to be, a file that opens as no image and scans as nothing."""
    import resource

    from tests.ingest.cli_setup import _run_refscope

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    out = tmp_path / "codes"
    out.mkdir()
    proc = _run_refscope("links", "qr", "qr_flyer", "--out", str(out), "--db", str(registered),
                         cwd=tmp_path, preexec_fn=small_disk, timeout=120)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: cannot write {out / 'qr_flyer.png'}: File too large"
    ]
    assert list(out.iterdir()) == []


def test_a_ref_starting_with_a_dash_is_told_to_go_after_double_dash(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """`-` may start a ref, and `links qr -lead` read it as the options -l -e -a -d: "No such
    option '-l'" named no option anyone typed. It says where such a ref goes."""
    out, db = ["--out", str(tmp_path / "codes")], ["--db", str(db_path)]
    create = ["links", "create", "--page", "acmebakery", "--ref", "-lead", "--channel", "qr"]
    assert runner.invoke(cli, [*create, "--out", str(tmp_path / "first"), *db]).exit_code == 0
    res = runner.invoke(cli, ["links", "qr", "-lead", *out, *db])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "'-lead' is read as options: a ref starting with '-' goes after '--'" in said, said
    assert "links qr [OPTIONS] -- -lead`" in said, said
    res = runner.invoke(cli, ["links", "qr", "--outt", "x", "-lead", *db])  # a mistyped option
    assert res.exit_code == 2 and "goes after '--'" not in res.output, res.output
    res = runner.invoke(cli, ["links", "qr", *out, *db, "--", "-lead"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "codes" / "-lead.png").exists()
