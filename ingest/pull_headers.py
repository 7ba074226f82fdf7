"""`pull logs` headers: those of REFSCOPE_PULL_HEADERS and of --header, and a warning for a
credential given on the command line, where `ps` shows it to every account on the machine."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .fetch import parse_headers

# Headers ('Name: value', one a line) kept off the command line, where `ps` shows them to every
# account on the machine: credentials belong here, not in --header.
PULL_HEADERS_ENV = "REFSCOPE_PULL_HEADERS"
# A header by one of these names (or holding one of these words) is a credential.
_CREDENTIAL = re.compile(r"auth|cookie|token|key|secret|passw", re.I)


def given_headers(values: tuple[str, ...], environ: Mapping[str, str]) -> dict[str, str]:
    """The headers of PULL_HEADERS_ENV's lines, then --header's values (which win by name)."""
    lines = [line for line in environ.get(PULL_HEADERS_ENV, "").splitlines() if line.strip()]
    headers = parse_headers(lines, f"{PULL_HEADERS_ENV} line")
    given = parse_headers(values)
    named = {name.lower() for name in given}
    return {**{k: v for k, v in headers.items() if k.lower() not in named}, **given}


def credentials_in_argv(values: tuple[str, ...]) -> list[str]:
    """What to say of each --header that looks like a credential: on the command line, `ps`
    shows it to every account on the machine. Names only, never a value."""
    names = dict.fromkeys(v.partition(":")[0].strip() for v in values)
    return [f"--header {name} is on the command line, where `ps` shows it to every account on "
            f"this machine: set it in {PULL_HEADERS_ENV} instead ('Name: value', one a line)"
            for name in names if _CREDENTIAL.search(name)]  # fmt: skip
