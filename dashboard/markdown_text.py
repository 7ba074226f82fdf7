"""Text from the data (names, refs, paths) and messages quoting it, for the places Streamlit
renders as markdown (st.markdown, captions, alerts, toasts, labels): shown as given."""

from __future__ import annotations

import re


def literal(text: object) -> str:
    """text (a name from the data: a page's, an ad's title, a ref, a path) for Streamlit's
    markdown as given: every ASCII punctuation mark backslash-escaped, or "*x*" showed in
    italics, "__x__" in bold, ":fire:" as an emoji, ":red[x]" in red and "[a](b)" as a link."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text))


def code(text: object) -> str:
    """text (a path, a command naming one) as an inline code span of Streamlit's markdown, shown
    as given: fenced by more backticks than it holds in a row, and spaced from a backtick at
    either end."""
    text = str(text)
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# The app's own code spans in a refusal it quotes: a command, or the `pages` table.
_OWN_CODE = re.compile(r"(`(?:refscope [a-z][^`]*|pages|pages set)`)")


def literal_message(text: object) -> str:
    """A message of the app's that quotes names from the data (a refusal: "invalid ref
    '__x__'"), for Streamlit's markdown: all of it as given (literal), but the commands and
    table it names in backticks, still shown as code."""
    parts = _OWN_CODE.split(str(text))  # the spans at odd places
    return "".join(part if i % 2 else literal(part) for i, part in enumerate(parts))
