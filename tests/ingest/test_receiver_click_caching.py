"""What a cache may keep of /r/<ref>'s answers: nothing, whatever the answer.

The redirect was sent with `Cache-Control: no-store`, but a refusal was not: a 404 is
heuristically cacheable (RFC 9110 §15.5.5), and a shared cache in front of the receiver (one
that keeps a 404 without explicit freshness for minutes, as Varnish's default does) then
answered every scan of a code registered just after its first scan with that 404, uncounted,
though the receiver takes a new link at once."""

from __future__ import annotations

from pathlib import Path

from ingest import links
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.ingest.receiver_server import IPHONE, SECRET, TOKEN, Receiver, StartReceiver, register


def test_no_answer_of_a_scan_may_be_kept_by_a_cache(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    register(
        db_path, links.make_link(f.PAGE_USERNAME, "menu"), links.make_link("otherbakery", "menu")
    )
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN, registry_refresh=0.0)
    )
    phone = {"User-Agent": IPHONE}
    scan = {"page": f.PAGE_USERNAME, "qr": "1"}
    for method, path, params, status in [
        ("GET", "/r/door_qr", scan, 404),  # not registered yet
        ("HEAD", "/r/door_qr", scan, 404),  # a preview of it
        ("GET", "/r/menu", {}, 404),  # a ref of several pages, without ?page=
        ("GET", "/r/bad%20ref", scan, 404),
        ("GET", "/r/door_qr", {**scan, "page": "nosuchpage"}, 404),
    ]:
        r = receiver.client.request(method, path, params=params, headers=phone)
        assert r.status_code == status, (path, r.text)
        assert r.headers.get("cache-control") == "no-store", (method, path, r.headers)
    # Registered now: the very next scan is redirected and counted, as no cache kept the 404.
    register(db_path, links.make_link(f.PAGE_USERNAME, "door_qr", "qr"))
    r = receiver.get("/r/door_qr", params=scan, headers=phone)
    assert r.status_code == 302 and r.headers["cache-control"] == "no-store"
    assert len(receiver.lines("clicks")) == 1


def test_a_receiver_without_the_registry_refuses_uncacheably_too(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    # No database at --db on this host: a ref without ?page= is 503, one the rules refuse 404.
    unread = ReceiverConfig(tmp_path / "logs", tmp_path / "none.duckdb", (SECRET,), TOKEN)
    receiver = start_receiver(unread)
    for path, status in (("/r/door_qr", 503), ("/r/bad%20ref?page=acmebakery", 404)):
        r = receiver.get(path, headers={"User-Agent": IPHONE})
        assert (r.status_code, r.headers.get("cache-control")) == (status, "no-store"), r.text


def test_a_link_with_more_than_one_trailing_slash_is_answered_uncacheably_as_the_link(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    # `/r/<ref>//` (a link pasted after a URL ending in a slash, or a site builder's slash on
    # one that had it) got Starlette's own 307, without no-store and naming this host, not the
    # proxy's: a cache could keep it, and behind a proxy it led nowhere.
    register(db_path, links.make_link(f.PAGE_USERNAME, "door_qr", "qr"))
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN, registry_refresh=0.0)
    )
    phone = {"User-Agent": IPHONE}
    for method, path in [
        ("GET", "/r/door_qr//"),
        ("HEAD", "/r/door_qr//"),
        ("GET", "/r/door_qr///"),
    ]:
        r = receiver.client.request(method, path, params={"qr": "1"}, headers=phone)
        assert (r.status_code, r.headers.get("location")) == (
            302, f"https://m.me/{f.PAGE_USERNAME}?ref=door_qr"), (method, path)  # fmt: skip
        assert r.headers.get("cache-control") == "no-store", (method, path, r.headers)
    assert len(receiver.lines("clicks")) == 2  # the two GETs, as for /r/<ref>
    # No other address under /r/ is a link: refused, uncacheably, as an unknown ref is.
    for path in ("/r/not_made//", "/r/", "/r", "/r//door_qr", "/r/door_qr/x"):
        r = receiver.get(path, headers=phone)
        assert (r.status_code, r.headers.get("cache-control")) == (404, "no-store"), path
    assert len(receiver.lines("clicks")) == 2


def test_a_method_a_link_does_not_take_is_refused_uncacheably_too(
    click_receiver: Receiver,
) -> None:
    # A POST, PUT or DELETE to /r/<ref> got Starlette's own 405 without no-store: a 405 is
    # heuristically cacheable (RFC 9110 §15.5.6) like a 404, and every answer of /r/ says no-store.
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/r/menu", "/r/menu/", "/r/menu//", "/r/not_made", "/r/", "/r"):
            r = click_receiver.client.request(method, path, params={"page": f.PAGE_USERNAME})
            allowed = set(r.headers.get("allow", "").split(", "))  # Starlette's order varies
            assert (r.status_code, allowed) == (405, {"GET", "HEAD"}), (method, path)
            assert r.headers.get("cache-control") == "no-store", (method, path, r.headers)
    assert click_receiver.lines("clicks") == []
