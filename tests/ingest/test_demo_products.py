"""The demo's product ads: a few Click-to-Messenger ads of its catalogue show a catalogue product,
their referral's `ads_context_data.product_id`, so the demo's contacts carry product ids as a
real shop's do (the Overview's new contacts per product). The id is a fixed field of the ad:
every random draw, and so every other byte, event, touch and contact, is as without it.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_referrals
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from ingest import demo_payloads, pipeline
from ingest.demo_catalog import AD_PRODUCTS, ADS
from tests.ingest.demo_setup import Parsed, raw_lines, run

# Both product ads run in these 40 days, and two ads without a product too.
END, DAYS, SEED = dt.date(2025, 12, 10), 40, 7


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Parsed, Path]:
    """The demo's logs for the range, ingested into a real DuckDB file."""
    root = tmp_path_factory.mktemp("products")
    parsed = run(root / "logs", days=DAYS, end=END, seed=SEED, scale=0.5)
    pipeline.run([str(root / "logs")], root / "refscope.duckdb")
    return parsed, root / "refscope.duckdb"


def _contexts(parsed: Parsed) -> list[tuple[str, dict]]:
    """(ad_id, ads_context_data) of every ADS referral in the logs."""
    return [(r["ad_id"], r["ads_context_data"]) for _, r, _ in parsed.referrals()
            if r["source"] == "ADS" and "ads_context_data" in r]  # fmt: skip


def test_product_ads_are_ads_of_the_catalogue_with_a_catalogue_product_id() -> None:
    assert len(AD_PRODUCTS) == 2 and set(AD_PRODUCTS) < {ad[0] for ad in ADS}
    assert all(p.isdigit() and len(p) in (15, 16) for p in AD_PRODUCTS.values())
    assert len(set(AD_PRODUCTS.values())) == len(AD_PRODUCTS)


def test_a_product_ads_context_names_its_product_every_time_and_no_other_ad_does(demo) -> None:
    contexts = _contexts(demo[0])
    assert {ad for ad, _ in contexts} > set(AD_PRODUCTS)  # ads without a product ran too
    for ad, context in contexts:
        if ad in AD_PRODUCTS:
            assert context["product_id"] == AD_PRODUCTS[ad]
            assert list(context)[-1] == "product_id"  # Meta's order: after post_id
        else:
            assert "product_id" not in context


def test_the_contacts_of_the_product_ads_carry_their_products(demo) -> None:
    with duckdb.connect(str(demo[1]), read_only=True) as con:
        got = con.execute("""SELECT channel, ad_id, product_id, count(*) FROM contacts
                             WHERE product_id IS NOT NULL GROUP BY ALL ORDER BY ALL""").fetchall()
        others = con.execute("""SELECT count(*) FROM contacts WHERE channel = 'ctm_ad'
                                AND NOT list_contains(?, ad_id) AND product_id IS NULL""",
                             [list(AD_PRODUCTS)]).fetchone()  # fmt: skip
        # Meta's postback.referral (an ad's Get Started) has no ads_context_data, so no product.
        vias = con.execute("""SELECT t.via, c.product_id IS NOT NULL, count(*) FROM contacts c
                              JOIN touches t USING (page_id, psid)
                              WHERE t.is_first AND list_contains(?, c.ad_id) GROUP BY ALL""",
                           [list(AD_PRODUCTS)]).fetchall()  # fmt: skip
    assert sorted((ad, product) for _, ad, product, _ in got) == sorted(AD_PRODUCTS.items())
    assert all(channel == "ctm_ad" and n >= 2 for channel, _, _, n in got)
    assert others is not None and others[0] > 0
    assert {(via, has) for via, has, _ in vias} == {("message", True), ("postback", False)}


def _without_product_ids(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_product_ids(v) for k, v in value.items() if k != "product_id"}
    if isinstance(value, list):
        return [_without_product_ids(v) for v in value]
    return value


def _lines(paths: list[Path]) -> dict[str, list[object]]:
    """Each file's lines, parsed without product ids (a line that is no JSON as its bytes)."""
    out: dict[str, list[object]] = {}
    for path in paths:
        lines: list[object] = []
        for line in raw_lines(path):
            try:
                lines.append(_without_product_ids(json.loads(line)))
            except ValueError:
                lines.append(line)
        out[path.name] = lines
    return out


def test_the_product_ids_change_no_draw_of_the_demo(demo, tmp_path, monkeypatch) -> None:
    """Without product ads the demo writes the same files, but for the product ids: the same
    lines in the same files, every id, instant and malformed line the same."""
    with_products = _lines(demo[0].summary.files)
    monkeypatch.setattr(demo_payloads, "AD_PRODUCTS", {})
    plain = run(tmp_path, days=DAYS, end=END, seed=SEED, scale=0.5)
    assert [p.name for p in plain.summary.files] == [p.name for p in demo[0].summary.files]
    assert _lines(plain.summary.files) == with_products
    counts = [(s.lines, s.malformed_lines, s.blank_lines, s.duplicate_lines)
              for s in (plain.summary, demo[0].summary)]  # fmt: skip
    assert counts[0] == counts[1]
