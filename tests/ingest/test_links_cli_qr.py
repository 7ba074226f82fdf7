"""`refscope links qr`: a registered code written again, with its registered redirect URL kept
(as `links create` again keeps it), and a ref registered as an m.me link refused."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.links_setup import decode, svg_to_png


def test_links_qr_regenerates_a_registered_code(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    create = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--channel", "qr"]
    res = runner.invoke(cli, [*create, "--out", str(tmp_path / "first"), *args])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(tmp_path), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "flyer.png").read_bytes()) == "https://m.me/acmebakery?ref=flyer"
    res = runner.invoke(cli, ["links", "qr", "nobody", *args])
    assert res.exit_code != 0 and "not registered" in res.output


def test_links_qr_refuses_a_ref_registered_as_a_link_with_the_rule(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """A code printed for an m.me link's ref would count its scans as link clicks: `links qr`
    wrote one for any registered ref."""
    args = ["--db", str(db_path)]
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "bio_link",
                              *args])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "codes"
    res = runner.invoke(cli, ["links", "qr", "bio_link", "--out", str(out), *args])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # a message, not a traceback
    assert "ref 'bio_link' is registered for page 'acmebakery' as an m.me link, not a QR " \
        "code: a QR code is for a ref registered with channel qr" in res.output  # fmt: skip
    assert not out.exists()  # refused before the folder is made


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


def test_links_qr_of_a_ref_that_is_a_code_of_one_of_its_pages_needs_no_page(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """A ref registered on two pages, a QR code on one and an m.me link on the other: only one
    code can be written, so `links qr REF` writes it. It asked for --page; with --page of the
    link's page it still refuses, with the rule. Two QR pages still need --page."""
    args = ["--db", str(db_path)]
    create = ["links", "create", "--ref", "spring", *args]
    res = runner.invoke(cli, [*create, "--page", "acmebakery", "--channel", "qr",
                              "--out", str(tmp_path / "first")])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, [*create, "--page", "northwindcoffee"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "again"
    res = runner.invoke(cli, ["links", "qr", "spring", "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    assert decode((out / "spring.png").read_bytes()) == "https://m.me/acmebakery?ref=spring"
    res = runner.invoke(cli, ["links", "qr", "spring", "--page", "northwindcoffee",
                              "--out", str(out), *args])  # fmt: skip
    assert res.exit_code == 1 and "as an m.me link, not a QR code" in res.output
    res = runner.invoke(cli, [*create, "--page", "contosodeli", "--channel", "qr",
                              "--out", str(tmp_path / "third")])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "spring", "--out", str(out), *args])
    assert res.exit_code == 1
    assert ("ref 'spring' is registered as a QR code for several pages (acmebakery, "
            "contosodeli): give --page") in res.output  # fmt: skip


def test_links_qr_of_a_ref_that_is_a_link_on_each_of_its_pages_says_the_rule(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    for page in ("acmebakery", "northwindcoffee"):
        res = runner.invoke(cli, ["links", "create", "--ref", "bio", "--page", page, *args])
        assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "bio", "--out", str(tmp_path / "codes"), *args])
    assert res.exit_code == 1
    assert (
        "ref 'bio' is registered for pages 'acmebakery', 'northwindcoffee' as m.me links, "
        "not a QR code: a QR code is for a ref registered with channel qr"
    ) in res.output
    assert not (tmp_path / "codes").exists()
