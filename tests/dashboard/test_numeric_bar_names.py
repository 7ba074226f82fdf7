"""Bars named by digits: a store's number as its ref ("101"), an ad with no title named by its
id. Plotly takes an axis of such names for numbers (bars at y = 101 and 2500, hairlines on a
scale to 2,500; ad ids written 6.000000000001T): each such axis is one of names."""

from __future__ import annotations

import pandas as pd

from dashboard import charts

REFS = ["101", "102", "2500"]
ADS = ["6000000000001", "6000000000002"]


def test_refs_named_by_digits_are_bars_on_an_axis_of_names():
    df = pd.DataFrame({"page_id": "1", "ref": REFS, "channel": "m_me_link",
                       "new_contacts": [5, 3, 2], "engaged": [5, 3, 2]})  # fmt: skip
    assert charts.refs_bar(df).layout.yaxis.type == "category"


def test_ads_named_by_their_ids_are_bars_on_an_axis_of_names():
    df = pd.DataFrame({"ad_id": ADS, "ad_title": ADS, "new_contacts": [4, 0],
                       "engaged": [4, 0], "spend": [10.0, 3.0],
                       "cost_per_contact": [2.5, None]})  # fmt: skip
    assert charts.ads_contacts_bar(df).layout.xaxis.type == "category"
    assert charts.ads_cost_bar(df).layout.xaxis.type == "category"


def test_website_pages_and_channels_are_axes_of_names():
    pages = pd.DataFrame({"referer_uri": ["2024", "2025"], "new_contacts": [2, 1],
                          "guests": [1, 0]})  # fmt: skip
    assert charts.website_pages_bar(pages).layout.yaxis.type == "category"
