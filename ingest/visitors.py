"""Where a dashboard request comes from: loopback addresses, and the proxy headers (Forwarded,
X-Forwarded-For, X-Real-IP) and Host / Origin that name a visitor beyond this machine.

Pure functions of the addresses and headers they are given (access.py decides the login on
them; the pulls' HTTP checks read is_loopback too)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# One piece of a header: a quoted string (with backslash escapes), or a run of anything else.
_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"?|[^,;"]+|[,;]')


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches: 127.0.0.0/8, ::1 and "localhost"."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False  # another name, or "" (every interface): treat as reachable from outside
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def forwarded_addresses(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Every address the proxy headers among `headers` (name, value pairs, names in any case,
    repeats kept) name, one per hop: "" for a hop they name no address for (a `Forwarded`
    element without for=, an empty entry)."""
    found: list[str] = []
    for name, value in headers:
        kind = name.strip().lower()
        if kind == "forwarded":
            found += [node for element in _split(value, ",") for node in _forwarded_for(element)]
        elif kind == "x-forwarded-for":
            found += [_node(entry) for entry in value.split(",")]
        elif kind == "x-real-ip":
            found.append(_node(value))
    return found


def forwarded_from_elsewhere(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a request came through a proxy for a visitor beyond this machine: it carries a
    proxy header (Forwarded, X-Forwarded-For, X-Real-IP) and not every hop it names is
    loopback. A proxy on this machine connects from 127.0.0.1 whoever it forwards; a client
    can only add hops, never remove the proxy's, so one loopback hop among others proves
    nothing; a hop named by no address ("") counts as beyond."""
    return not all(is_loopback(address) for address in forwarded_addresses(headers))


def named_elsewhere(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether the request's Host header, or its Origin (the address of the page that opened
    it, which a browser sends with every WebSocket), names anything but this machine's own:
    localhost, a name under .localhost (browsers resolve those themselves) or a loopback
    address. A site whose DNS answers its name with 127.0.0.1 (DNS rebinding) reads, from a
    page of its own in this machine's browser, whatever this name serves; a proxy that
    rewrites Host and adds no header still leaves the Origin of the page it serves. No Host
    or Origin header (no browser) says nothing."""
    hosts = []
    for name, value in headers:
        kind = name.strip().lower()
        if kind == "host":
            hosts.append(_node(value))
        elif kind == "origin":
            hosts.append(_origin_host(value))
    return not all(
        is_loopback(host) or host.lower().rstrip(".").endswith(".localhost") for host in hosts
    )


def _origin_host(origin: str) -> str:
    """The host of an Origin header ("" for "null" or anything not a URL)."""
    try:
        return urlsplit(origin.strip()).hostname or ""
    except ValueError:
        return ""


def _split(value: str, separator: str) -> list[str]:
    """value cut at `separator` outside quoted strings."""
    parts, current = [], ""
    for piece in _PIECE.findall(value):
        if piece == separator:
            parts.append(current)
            current = ""
        else:
            current += piece
    return [*parts, current]


def _forwarded_for(element: str) -> list[str]:
    """The for= nodes of one `Forwarded` element ([""] without one)."""
    pairs = [pair.partition("=") for pair in _split(element, ";")]
    return [_node(node) for key, _, node in pairs if key.strip().lower() == "for"] or [""]


def _node(node: str) -> str:
    """The address in a node: unquoted, without [] or :port ("" when empty)."""
    node = node.strip()
    if node.startswith('"'):
        node = re.sub(r"\\(.)", r"\1", node.strip('"')).strip()
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node[1:]
    if node.count(":") == 1:  # IPv4 (or a name) with a port; IPv6 has more colons
        return node.partition(":")[0]
    return node
