"""What `links create`, `links import` and the Create links form make of a redirect address
(`--via-redirect`): its scheme and host in lower case, as RFC 3986 reads both (section 6.2.2.1),
so an address typed in capitals gives the links the same address in small letters gives, and a
link registered before is said to keep another URL only when it points somewhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import link_rules, links
from tests.ingest.links_setup import create_or_import_window, decode

LINK = "https://go.example/r/window?page=acmebakery&qr=1"


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("HTTPS://GO.EXAMPLE", "https://go.example"),
        ("Http://Go.Example:8080/Clicks/", "http://go.example:8080/Clicks/"),  # path: as given
        ("HTTPS://[2001:DB8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("HTTPS://Bäckerei.Example/Straße", "https://xn--bckerei-5wa.example/Stra%C3%9Fe"),
    ],
    ids=["capitals", "port-and-path", "ipv6", "beyond-ascii"],
)
def test_a_redirect_address_has_its_scheme_and_host_in_lower_case(given: str, written: str) -> None:
    assert link_rules.check_base_url(given) == written
    assert links.make_link("acmebakery", "window", "qr", base_url=given).url == (
        f"{written.rstrip('/')}/r/window?page=acmebakery&qr=1"
    )


@pytest.mark.parametrize("command", ["create", "import"])
def test_an_address_in_capitals_registers_and_encodes_the_small_letters(
    tmp_path: Path, runner: CliRunner, db_path: Path, query: Any, command: str
) -> None:
    """It was registered and printed as typed, and said nothing of it; no note now either (the
    address is the same one: the ASCII-form note is for an address beyond ASCII)."""
    out = tmp_path / "codes"
    args = ["--via-redirect", "HTTPS://GO.EXAMPLE", "--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(runner, command, tmp_path, args)
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT url FROM tracked_links") == LINK
    assert decode((out / "window.png").read_bytes()) == LINK
    assert "GO.EXAMPLE" not in res.output


@pytest.mark.parametrize("command", ["create", "import"])
@pytest.mark.parametrize("stored", [LINK, LINK.replace("https://go.example", "HTTPS://GO.Example")])
def test_a_link_registered_before_is_not_said_to_keep_a_url_that_differs_only_in_case(
    tmp_path: Path, runner: CliRunner, db_path: Path, execute: Any, command: str, stored: str
) -> None:
    """Registered before (by this refscope, or as typed by an older one), made again with the
    address in other capitals: "the registered URL is kept, not …" named the same address."""
    execute(
        "INSERT INTO tracked_links VALUES ('window', 'acmebakery', 'qr_code', NULL, NULL, NULL, "
        "?, now())",
        stored,
    )
    out = tmp_path / "codes"
    args = ["--via-redirect", "Https://Go.Example/", "--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(runner, command, tmp_path, args)
    assert res.exit_code == 0, res.output
    assert "kept, not" not in res.output and "keeps its registered URL" not in res.output
    assert decode((out / "window.png").read_bytes()) == LINK


def test_a_link_registered_before_at_another_host_is_still_said_to_keep_its_url(
    tmp_path: Path, runner: CliRunner, db_path: Path, execute: Any
) -> None:
    execute(
        "INSERT INTO tracked_links VALUES ('window', 'acmebakery', 'qr_code', NULL, NULL, NULL, "
        "?, now())",
        LINK,
    )
    args = ["--via-redirect", "HTTPS://CLICKS.EXAMPLE", "--db", str(db_path)]
    args += ["--out", str(tmp_path)]
    res = create_or_import_window(runner, "create", tmp_path, args)
    assert res.exit_code == 0, res.output
    assert (
        "(the registered URL is kept, not https://clicks.example/r/window?page=acmebakery&qr=1)"
        in res.output
    )


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("https://go.example/r", "https://go.example"),
        ("https://go.example/r/", "https://go.example"),
        ("https://go.example/clicks/r", "https://go.example/clicks"),
    ],
)
def test_a_redirect_address_ending_in_r_is_warned_of(given: str, suggested: str) -> None:
    written = link_rules.check_base_url(given)  # taken: a proxy may serve refscope under /r
    warning = link_rules.doubled_r_warning(written)
    assert warning is not None
    assert f"links are {given.rstrip('/')}/r/<ref>" in warning
    assert f"give {suggested}," in warning


@pytest.mark.parametrize(
    "given", ["https://go.example", "https://go.example/", "https://go.example/router",
              "https://go.example/R", "https://r.example", "https://go.example/r/x"],
)  # fmt: skip
def test_no_other_redirect_address_is_warned_of(given: str) -> None:
    assert link_rules.doubled_r_warning(link_rules.check_base_url(given)) is None


@pytest.mark.parametrize("command", ["create", "import"])
def test_links_made_through_an_address_ending_in_r_are_registered_with_a_warning(
    tmp_path: Path, runner: CliRunner, db_path: Path, query: Any, command: str
) -> None:
    """`--via-redirect https://go.example/r` made …/r/r/<ref> links without a word: a 404 on
    every flyer printed, unless a proxy serves refscope under /r. Said once, before printing."""
    out = tmp_path / "codes"
    args = ["--via-redirect", "https://go.example/r", "--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(runner, command, tmp_path, args)
    assert res.exit_code == 0, res.output
    doubled = "https://go.example/r/r/window?page=acmebakery&qr=1"
    assert query.scalar("SELECT url FROM tracked_links") == doubled
    assert decode((out / "window.png").read_bytes()) == doubled
    assert res.stderr.count("ends in /r, so links are https://go.example/r/r/<ref>") == 1
    assert "give https://go.example," in res.stderr
