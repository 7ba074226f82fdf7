"""Runs of the demo generator of their own, parsed back: the same arguments give byte-identical
files (the click logs leave the others as they were), the default run ends yesterday (its speed
is measured by bench/demo_data.py, not here), a rewrite clears only its own files, and the
chat plugin appears only before its shutdown."""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from ingest import demo_clicks
from ingest.demo import PAGES, default_days, write_demo
from tests.ingest.demo_setup import END, Parsed, is_receiver_log, ms, raw_lines, run

SHUTDOWN_MS = 1715212800000  # 2024-05-09T00:00:00Z, the chat plugin's end


@pytest.fixture(scope="module")
def plugin_era(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    return run(tmp_path_factory.mktemp("plugin"), days=120, end=dt.date(2024, 6, 30), scale=0.3)


# --- determinism, defaults, files ---------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    kw = {"days": 45, "end": END, "seed": 3, "scale": 0.3}
    a, b = write_demo(tmp_path / "a", **kw), write_demo(tmp_path / "b", **kw)
    assert [f.name for f in a.files] == [f.name for f in b.files]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a.files, b.files, strict=True))
    assert sum(f.name.startswith("clicks-") for f in a.files) >= 20  # the click logs too
    assert replace(a, files=[]) == replace(b, files=[])
    c = write_demo(tmp_path / "c", **{**kw, "seed": 4})
    assert [f.read_bytes() for f in c.files] != [f.read_bytes() for f in a.files]


def test_click_logs_leave_the_other_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The click logs draw on a random stream of their own: without them, every other file is
    byte for byte the same."""
    kw = {"days": 45, "end": END, "seed": 3, "scale": 0.3}
    with_clicks = write_demo(tmp_path / "a", **kw)
    monkeypatch.setattr(demo_clicks, "write", lambda *a, **k: [])
    without = write_demo(tmp_path / "b", **kw)
    others = [f for f in with_clicks.files if not f.name.startswith("clicks-")]
    assert len(others) < len(with_clicks.files)
    assert [f.name for f in others] == [f.name for f in without.files]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(others, without.files, strict=True))


def test_default_run_ends_yesterday(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    summary = write_demo(tmp_path)
    after = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert summary.end in (before, after)
    # Two years, or back to 2024-01-01: the chat plugin's last months (it shut down on
    # 2024-05-09) are in a default run, so every channel shows.
    assert summary.start == min(summary.end - dt.timedelta(days=729), dt.date(2024, 1, 1))
    assert 40 * (summary.end - summary.start).days <= summary.lines <= 110_000
    assert b"CUSTOMER_CHAT_PLUGIN" in b"".join(
        gzip.decompress(f.read_bytes()) for f in summary.files if f.suffix == ".gz"
    )
    names = {f.name for f in summary.files}
    for k in range(3):
        assert f"webhooks-{summary.end - dt.timedelta(days=k)}.demo-1.ndjson" in names
    months = sorted(n for n in names if n.startswith("webhooks-") and not is_receiver_log(n))
    assert months[0] == f"webhooks-{summary.start:%Y-%m}.ndjson.gz"
    for name in months:
        age = summary.end.year * 12 + summary.end.month - int(name[9:13]) * 12 - int(name[14:16])
        assert name.endswith(".gz") == (age > 12), name
    last_webhooks = max(n[9:16] for n in months)
    assert last_webhooks == f"{summary.end - dt.timedelta(days=3):%Y-%m}"
    assert summary.pages == {page: username for page, username, _ in PAGES}
    assert sum(1 for f in summary.files for line in raw_lines(f) if line) == summary.lines


def test_rewrite_clears_only_its_own_files(tmp_path: Path) -> None:
    """An earlier demo's files (of other days: a demo page's lines, or empty) go, those of an
    earlier version's names (receiver-…, clicks-… without the receiver's part) too; others stay."""
    earlier = f'{{"object":"page","entry":[{{"id":"{PAGES[0][0]}"}}]}}\n'
    (tmp_path / "webhooks-1999-01.ndjson").write_text(earlier)
    (tmp_path / "webhooks-1999-01-01.demo-1.ndjson").write_text("")
    (tmp_path / "clicks-1999-01-01.demo-1.ndjson").write_text(earlier)
    (tmp_path / "receiver-1999-01-01.ndjson").write_text("")
    (tmp_path / "clicks-1999-01-01.ndjson").write_text(earlier)
    (tmp_path / "clicks-1999-01-01.vm-1.ndjson").write_text("a real receiver's log\n")
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "webhooks-backup.ndjson").write_text("keep me too")
    summary = write_demo(tmp_path, days=10, end=END, scale=0.2)
    left = {p.name for p in tmp_path.iterdir()}
    kept = {"notes.txt", "webhooks-backup.ndjson", "clicks-1999-01-01.vm-1.ndjson"}
    assert left == {f.name for f in summary.files} | kept


# --- the chat plugin's lifetime -----------------------------------------------------------------


def test_chat_plugin_only_before_its_shutdown(plugin_era: Parsed) -> None:
    plugin = [
        (w, r, it) for w, r, it in plugin_era.referrals() if r["source"] == "CUSTOMER_CHAT_PLUGIN"
    ]
    assert {w for w, _, _ in plugin} == {"top", "postback"}
    assert all(r["referer_uri"].startswith("https://www.") for _, r, _ in plugin)
    assert any("user_ref" in it["sender"] and "id" not in it["sender"] for _, _, it in plugin)
    assert {type(r["is_guest_user"]) for _, r, _ in plugin} == {bool}
    from_refs = [
        it
        for _, _, it in plugin_era.items
        if "user_ref" in it.get("sender", {}) and "optin" not in it
    ]
    assert from_refs and all(ms(it["timestamp"]) < SHUTDOWN_MS for it in from_refs)
    assert any(ms(it.get("timestamp", 0)) >= SHUTDOWN_MS for _, _, it in plugin_era.items)


def test_no_chat_plugin_after_its_shutdown(tmp_path: Path) -> None:
    later = run(tmp_path, days=40, end=dt.date(2024, 7, 31), scale=0.3)
    assert later.items
    assert not [r for _, r, _ in later.referrals() if r["source"] == "CUSTOMER_CHAT_PLUGIN"]
    assert not [
        it for _, _, it in later.items if "user_ref" in it.get("sender", {}) and "optin" not in it
    ]


def test_dead_sources_in_old_history(tmp_path: Path) -> None:
    old = run(tmp_path, days=60, end=dt.date(2019, 12, 31), scale=0.3)
    sources = {r["source"] for _, r, _ in old.referrals()}
    assert "DISCOVER_TAB" in sources and "CUSTOMER_CHAT_PLUGIN" in sources
    assert not [it for it in old.of("postback") if "mid" in it["postback"]]  # mid came in v11.0


@pytest.mark.parametrize(
    ("end", "days"),
    [
        (dt.date(2025, 6, 30), 730),  # two years already reach back past 2024-01-01
        (dt.date(2025, 12, 31), 731),  # 2024-01-01 to 2025-12-31
        (dt.date(2026, 11, 29), 1064),
        (dt.date(2040, 1, 1), 3650),  # never more than --days allows
    ],
)
def test_default_span_reaches_the_chat_plugin(end: dt.date, days: int) -> None:
    assert default_days(end) == days
