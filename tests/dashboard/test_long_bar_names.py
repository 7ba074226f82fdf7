"""Bars named by a long ref or web address (refs may have 250 characters; a chat plugin page's
address carries its query string): their axis labels are cut to 48 characters, the
bars keep their whole names, so the bars are not squeezed to slivers beside one label."""

from __future__ import annotations

import html
from typing import Any

from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import plotly_specs, show

LABEL_CHARS = 48  # dashboard.charts.LABEL_CHARS
LONG_REF = "spring_sale_" + "x" * 188  # 200 characters, within refscope's 250
LONG_URI = "https://acme.example/menu?utm_source=newsletter&utm_medium=email&" + "q=1" * 40


def shown(spec: dict[str, Any], axis: str, names: list[str]) -> list[str]:
    """The labels a category axis shows: its ticktext when it sets one, else the names."""
    layout = spec["layout"].get(axis, {})
    if "ticktext" in layout:
        assert layout["tickvals"] == names  # each label still names its own bar
        return list(layout["ticktext"])
    return names


def as_read(texts: list[str]) -> list[str]:
    """Texts of a figure as plotly.js shows them: &amp; as &, &lt; as < (names from the data
    reach it so escaped, or their <b> and <br> would be read as markup)."""
    return [html.unescape(t) for t in texts]


def test_long_ref_and_page_address_get_short_axis_labels(open_app, db_path):
    lines: list[fx.Json] = []
    for n, ref in enumerate([LONG_REF, LONG_REF, "menu"]):
        psid, ts = f"75{n:014d}", fx.T0 + n * fx.MINUTE
        lines.append(fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
    for n, uri in enumerate([LONG_URI, "https://acme.example/"]):
        user_ref, ts = f"chat-user-{n}", fx.T0 + (10 + n) * fx.MINUTE
        lines.append(fx.delivery(fx.chat_plugin_referral(user_ref, referer_uri=uri, ts=ts)))
        sender = {"user_ref": user_ref}
        lines.append(fx.delivery(fx.message("hi", psid=user_ref, sender=sender, ts=ts + 1000)))
    log = fx.write_ndjson(db_path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_path)

    at = show(open_app(db_path), "links")
    (refs,) = plotly_specs(at)
    names = list(refs["data"][0]["y"])
    assert LONG_REF in names and "menu" in names
    labels = shown(refs, "yaxis", names)
    assert max(map(len, labels)) <= LABEL_CHARS and "menu" in labels

    at = show(at, "website_chat")
    (pages,) = plotly_specs(at)
    names = list(pages["data"][0]["y"])
    assert LONG_URI in as_read(names)
    labels = as_read(shown(pages, "yaxis", names))
    assert max(map(len, labels)) <= LABEL_CHARS and "https://acme.example/" in labels
