"""The Create links page's PNG and SVG downloads are named as `links create` and `links qr`
write the same code (links.code_name): a ref that is a QR code of several pages is
`<ref>.<page>`, and one equal but for case to another QR code's ref `<ref>~<hash>`, so no
page's code downloaded takes another's file name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from streamlit.runtime.media_file_manager import MediaFileManager

from ingest.cli import cli
from tests.dashboard.screen import show


def _create(runner: CliRunner, db_path: Path, page: str, ref: str, out: Path) -> list[str]:
    """`links create` of a QR code; the files it wrote."""
    result = runner.invoke(cli, ["links", "create", "--page", page, "--ref", ref, "--channel",
                                 "qr", "--out", str(out), "--db", str(db_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return sorted(p.name for p in out.iterdir())


def _downloads(open_app: Any, db_path: Path, page: str, ref: str,
               monkeypatch: pytest.MonkeyPatch) -> list[str]:  # fmt: skip
    """The file names the page gives the PNG and SVG of the form's QR code, as the app's
    media file manager receives them (the browser saves a download under that name)."""
    named: list[str] = []
    add = MediaFileManager.add

    def noting(self: MediaFileManager, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("is_for_static_download") and kwargs.get("file_name"):
            named.append(kwargs["file_name"])
        return add(self, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", noting)
    at = show(open_app(db_path), "create_links")
    at.selectbox[0].set_value("other…").run()
    at.text_input[0].input(page).run()  # the page typed, then (after three more) the ref
    at.text_input[3].input(ref).run()
    named.clear()
    at.radio[0].set_value("qr").run()
    assert not at.exception and not at.error
    return sorted(n for n in named if n.endswith((".png", ".svg")))


@pytest.mark.parametrize(
    ("first", "then", "named"),
    [
        (("acmebakery", "flyer"), ("otherbakery", "flyer"), "flyer.otherbakery."),
        (("acmebakery", "Flyer"), ("acmebakery", "flyer"), "flyer~"),
    ],
    ids=["ref-of-another-page", "ref-equal-but-for-case"],
)
def test_a_codes_downloads_are_named_as_links_create_writes_it(
    open_app: Any, small_db: Path, tmp_path: Path, runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch, first: tuple[str, str], then: tuple[str, str], named: str,
) -> None:  # fmt: skip
    """Both were `<ref>.png`/`.svg` where the CLI writes the second code as `<ref>.<page>` (or
    `<ref>~<hash>`): downloaded beside the first, it took the first's name."""
    _create(runner, small_db, *first, tmp_path / "first")
    before = _downloads(open_app, small_db, *then, monkeypatch)  # before it is registered
    written = _create(runner, small_db, *then, tmp_path / "then")
    after = _downloads(open_app, small_db, *then, monkeypatch)
    assert before == written == after, (before, written, after)
    assert len(written) == 2 and all(name.startswith(named) for name in written), written
