"""Counts as a person reads them: "1 contact", "2 contacts"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 new link", "3 new links": n with its noun, in the plural (noun + "s" unless given)
    but for one."""
    return f"{n:,} " + (noun if n == 1 else plural or noun + "s")
