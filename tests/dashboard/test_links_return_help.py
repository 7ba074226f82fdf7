"""Links & QR codes' "7-day return" says what it counts where it is read: the column's help on
the page and the README's definitions, in the words of RETURN_7D."""

from __future__ import annotations

import json
from pathlib import Path

from dashboard import channel_queries
from tests.dashboard.screen import show

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
# The definition's words, as RETURN_7D gives them.
WORDS = ("whose 7 days had passed when the data ends", "messaged again within 7 days",
         "as Retention counts it")  # fmt: skip


def test_the_definition_is_written_once_and_named_where_it_is_used():
    """RETURN_7D holds the words; refs' docstring names it and no longer repeats them."""
    said = " ".join(channel_queries.RETURN_7D.split())
    for words in WORDS:
        assert words in said, said
    doc = " ".join((channel_queries.refs.__doc__ or "").split())
    assert "return_7d_rate (RETURN_7D)" in doc
    assert not any(words in doc for words in WORDS), doc


def test_the_column_header_has_its_definition_as_help(app):
    at = show(app, "links")
    column = json.loads(at.dataframe[0].proto.columns)["return_7d_rate"]
    assert column["label"] == "7-day return"
    assert column["help"] == channel_queries.RETURN_7D
    for words in WORDS:
        assert words in column["help"], column["help"]


def test_the_readme_defines_the_column():
    said = " ".join(README.split())
    assert f"**7-day return** (Links & QR codes): {channel_queries.RETURN_7D}" in said
