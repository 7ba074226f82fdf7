"""The Create links form as a growth team fills it in: a page typed under "other…" or a ref that
breaks its rule is refused with the rule it broke, before any code or Register button is
offered; the longest ref, `=`, `-`, `_`, a username with periods and a numeric page id are
taken, the URL shown is the m.me link of that ref, and its QR code is registered as typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ingest.link_rules import PAGE_RULE, REF_RULE
from tests.dashboard.conftest import opened
from tests.dashboard.screen import show, shown

PAGE, CAMPAIGN, PLACEMENT, REF = range(4)  # the text inputs once "other…" is picked


def _other_page(at: AppTest, page: str, ref: str) -> AppTest:
    at.selectbox[0].set_value("other…").run()
    at.text_input[PAGE].input(page).run()
    at.text_input[REF].input(ref).run()
    assert not at.exception
    return at


def _register(at: AppTest) -> list[Any]:
    return [b for b in at.button if b.label == "Register"]


@pytest.mark.parametrize(
    ("page", "ref", "error"),
    [
        ("0123456", "flyer", f"invalid page '0123456' (a page id starting with 0): {PAGE_RULE}"),
        ("acme", "flyer", f"invalid page 'acme' (4 characters): {PAGE_RULE}"),
        ("acme_bakery", "flyer", f"invalid page 'acme_bakery' ('_' at character 5): {PAGE_RULE}"),
        ("acmebakery.com", "flyer", f"invalid page 'acmebakery.com' (ends in .com): {PAGE_RULE}"),
        ("acmebakery", "A" * 251, f"invalid ref '{'A' * 60}'… (251 characters): {REF_RULE}"),
        ("acmebakery", "store.12", f"invalid ref 'store.12' ('.' at character 6): {REF_RULE}"),
        (
            "acmebakery",
            "été",
            f"invalid ref 'été' ('é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE) "
            f"at character 1): {REF_RULE}",
        ),
    ],
)
def test_a_bad_page_or_ref_is_refused_with_its_rule(
    open_app: Any, small_db: Path, page: str, ref: str, error: str
) -> None:
    at = _other_page(show(open_app(small_db), "create_links"), page, ref)
    assert [shown(e.value) for e in at.error] == [error]
    assert not at.code and not _register(at)


@pytest.mark.parametrize(
    ("page", "ref", "url"),
    [
        ("Acme.Bakery", "utm=spring-2026_03", "https://m.me/Acme.Bakery?ref=utm%3Dspring-2026_03"),
        ("1122334455667788", "A" * 250, f"https://m.me/1122334455667788?ref={'A' * 250}"),
        ("acme." * 10, "=-_", f"https://m.me/{'acme.' * 10}?ref=%3D-_"),
    ],
)
def test_a_good_page_and_ref_give_the_m_me_url_and_register_as_typed(
    open_app: Any, small_db: Path, page: str, ref: str, url: str
) -> None:
    at = _other_page(show(open_app(small_db), "create_links"), page, ref)
    at.radio[0].set_value("qr").run()
    assert not at.error and [c.value for c in at.code] == [url]
    assert len(at.get("image")) == 1
    (register,) = _register(at)
    register.click().run()
    assert not at.exception
    with opened(small_db) as con:
        row = con.execute(
            "SELECT page, channel, url FROM tracked_links WHERE ref = ?", [ref]
        ).fetchall()
    assert row == [(page, "qr_code", url)]
