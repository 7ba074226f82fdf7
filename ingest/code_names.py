"""File names of QR codes written together or alone, so that no code overwrites another's (two
pages' codes of one ref, refs equal but for case on a file system that ignores case).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .links import Link, Registry

# A file name holds at most 255 bytes: this much, with ".png" or ".svg" after it.
NAME_MAX = 251


def code_names(links: Sequence[Link]) -> list[str]:
    """File names (without extension) of codes written together: `<ref>`, or `<ref>.<page>`
    when the ref is on more than one of them, so no page's code overwrites another's (a ref
    has no period, so the two forms never meet). A `<ref>.<page>` too long for a file name
    keeps the start of its ref and a hash of all of it: `<start>~<hash>.<page>` (no ref has
    a `~`, so it is never another ref's name). So do names equal but for case (refs `Spring`
    and `spring`): a file system that ignores case, as macOS's and Windows' do by default,
    holds one file for both, the second code written over the first."""
    refs = Counter(link.ref for link in links)
    twins = set(case_twins(links))
    return [
        _hashed_name(x.ref, x.page, refs[x.ref] > 1) if x.ref in twins else name
        for name, x in zip(_names(links, refs), links, strict=True)
    ]


def case_twins(links: Sequence[Link]) -> list[str]:
    """The refs code_names names by a hash as their names are equal but for case."""
    names = _names(links, Counter(link.ref for link in links))
    folded = Counter(name.casefold() for name in names)
    return sorted(
        {x.ref for name, x in zip(names, links, strict=True) if folded[name.casefold()] > 1}
    )


def code_name(registry: Registry, link: Link) -> str:
    """The file name (without extension) of one registered code written alone (`links qr`,
    `links create`), as code_names names it among the registry's QR codes: `<ref>`;
    `<ref>.<page>` when the registry holds a QR code of the same ref for another page, so one
    page's code is not written over the other's; `<ref>~<hash>` (`.<page>` after it on several
    pages) when it holds a QR code of a ref equal but for case (`Spring` beside `spring`), so
    neither code takes the other's file on a file system that ignores case."""
    shared = other_pages(registry, link)
    if case_twin(registry, link):
        return _hashed_name(link.ref, link.page, shared=shared)
    return _shared_name(link.ref, link.page) if shared else link.ref


def case_twin(registry: Registry, link: Link) -> bool:
    """Whether the registry holds a QR code of a ref equal to link's but for case."""
    folded = link.ref.casefold()
    return any(
        x.channel == "qr_code" and x.ref != link.ref and x.ref.casefold() == folded
        for x in registry.links.values()
    )


def other_pages(registry: Registry, link: Link) -> bool:
    """Whether the registry holds a QR code of link's ref for another page."""
    return any(
        x.channel == "qr_code" and x.ref == link.ref and registry.key(x) != registry.key(link)
        for x in registry.links.values()
    )


def _names(links: Sequence[Link], refs: Counter[str]) -> list[str]:
    return [x.ref if refs[x.ref] == 1 else _shared_name(x.ref, x.page) for x in links]


def _shared_name(ref: str, page: str) -> str:
    name = f"{ref}.{page}"
    if len(name.encode()) <= NAME_MAX:
        return name
    return _hashed_name(ref, page, shared=True)


def _hashed_name(ref: str, page: str, shared: bool) -> str:
    """`<start>~<hash>`, or `<start>~<hash>.<page>` for a shared ref: the start of the ref and
    a hash of all of it, within NAME_MAX."""
    digest = hashlib.sha256(ref.encode()).hexdigest()[:12]
    tail = f".{page}" if shared else ""
    keep = NAME_MAX - len(tail.encode()) - len(digest) - 1
    return f"{ref[:keep]}~{digest}{tail}"
