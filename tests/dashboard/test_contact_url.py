"""The Contacts page's URL parameters (contact_url.py) read back as the picks they were written
from, and a link's values that cannot be used named with what is shown instead."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import contact_url as cu
from dashboard.filters import NO_REF


@pytest.mark.parametrize(
    "kept",
    [
        {cu.SHOW: "reentries", cu.REF: ("spring", "1122"), cu.ENGAGED: False},
        {cu.SHOW: "reachable", cu.REF: NO_REF, cu.AD: "(unknown ad)"},
        {
            cu.SHOW: "acquired",
            cu.POST: ("(unknown post)", "99"),
            cu.WEBSITE: "https://a.example/?q=1",
        },
    ],
)
def test_picks_written_read_back_the_same(kept: dict[str, Any]) -> None:
    params = cu.to_url(kept, "e_")
    assert cu.from_url({k: [v] for k, v in params.items()}) == ({**kept, cu.SEARCH: "e_"}, [])


def test_values_it_cannot_use_are_named() -> None:
    kept, problems = cu.from_url(
        {"show": ["all"], "engaged": ["maybe"], "refless": ["1"], "post_page": ["9"]}
    )
    assert kept == {}
    assert problems == [
        "show 'all' is not one of acquired, reachable, reentries (acquired is shown)",
        "post_page '9' without a post_id (no post_id is picked)",
        "refless '1' is not yes or no, nor beside a ref (it is not used)",
        "engaged 'maybe' is not yes or no (any is shown)",
    ]
