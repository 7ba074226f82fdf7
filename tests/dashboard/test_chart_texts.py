"""The shares written on the charts themselves (pie slices, funnel stages, heatmap cells) as
their hovers and the tables write them: half up, never plotly.js's own rounding of the binary
double; and the pie's legend a key that cannot hide a slice its shares would not follow."""

from __future__ import annotations

import pandas as pd

from dashboard import charts


def test_channel_mix_legend_cannot_hide_a_slice():
    """A click on a legend item hid its slice: plotly.js drew the others round the whole donut
    while their hovers (computed here, of every new contact) kept their shares of all: 29 and
    171 new contacts, the QR slice hidden, left one full ring whose hover said 85.5%."""
    fig = charts.channel_mix_pie(
        pd.DataFrame({"channel": ["qr_code", "organic"], "new_contacts": [29, 171]})
    )
    legend = fig.layout.legend
    assert (legend.itemclick, legend.itemdoubleclick) == (False, False)
    assert (legend.orientation, legend.yref, legend.y) == ("h", "container", 0)  # still below
