"""A period report's Ads section: per ad, its contacts, spend and costs (report_data gathers it
with the other sections)."""

from __future__ import annotations

from functools import partial

import pandas as pd

from dashboard import charts
from dashboard.report_model import IN_RANGE, Column, Section, money_text, untitled

TOP_ADS = 20


def ads_section(
    df: pd.DataFrame,
    gap: str = "",
    currency: str = "",
    pulled: bool = False,
    when: str = IN_RANGE,
    unpulled: str = "",
) -> Section:
    """Per ad; gap says when the ad insights cover the range only in part; currency (the
    spend's, "" when unknown) is named in the money columns' labels; pulled: the KPIs' ad spend
    is known (their ads spent nothing on the pulled days the insights hold no row for);
    unpulled: the report's unpulled_note, said last beside the ads' spend too."""
    top = df.head(TOP_ADS)
    money = partial(charts.in_currency, currency=currency)
    columns = (
        Column("ad_title", "Ad"),
        Column("ad_id", "Ad id"),
        Column("new_contacts", "New contacts", "int"),
        Column("engaged", "Engaged", "int"),
        Column("spend", money("Spend"), "money"),
        Column("cost_per_contact", money("Cost per contact"), "money"),
        Column("cost_per_engaged", money("Cost per engaged"), "money"),
        Column("conversations_started", "Meta: conversations", "int"),
    )
    figure = None
    if not df.empty:
        spent = bool((df["spend"] > 0).any())  # an ad that spent with no contact is charted too
        figure = untitled(
            charts.ads_cost_bar(df, currency) if spent else charts.ads_contacts_bar(top)
        )
    unspent = not df.empty and not (df["spend"] > 0).any()  # 0 for ads idle on pulled days
    none = ("The pulled ad insights hold no spend in this range." if pulled
            else "No ad spend loaded for this range.")  # fmt: skip
    notes = [gap or (none if unspent else "")]
    if len(df) > len(top):  # the rest, spent ads without contacts among them, are not listed
        left = df.iloc[len(top) :]
        # Without a spend row the rest spent nothing known: "spent 0.00" would claim it.
        unit = f" {currency}" if currency else ""
        spent_by = left["spend"]
        rest, have = ("ad", "has") if len(left) == 1 else (f"{len(left)}", "have")
        spent_rest = (f"spent {money_text(spent_by.sum())}{unit}" if spent_by.notna().any()
                      else f"{have} no spend loaded")  # fmt: skip
        notes.append(f"Top {len(top)} of {len(df)} ads by new contacts; the other {rest} "
                     f"{spent_rest}.")  # fmt: skip
    note = " ".join(n for n in (*notes, unpulled) if n)
    # Without a row, and insights that miss some of its days, the range's spend is not known
    # to be none: an empty section says which days the insights cover, as a listed one does.
    empty = (f"No Click-to-Messenger contacts {when}. {gap}" if gap
             else f"No Click-to-Messenger contacts or ad spend {when}.")  # fmt: skip
    return Section("ads", "Ads", top, columns, figure, note, empty)
