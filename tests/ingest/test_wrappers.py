"""Every documented variant, in every wrapper a real log holds it in, gives the same rows.

Each scenario is a short history of one person (or a comment and its private reply) built as
Meta documents the deliveries (https://developers.facebook.com/docs/messenger-platform/webhooks,
https://developers.facebook.com/docs/graph-api/webhooks/reference/page/). It is written as plain
POST bodies (the reference), then in the receiver's envelope, in `standby[]`, batched with other
pages and people, gzipped, pulled over HTTP, with its instants as seconds or digit strings, and
delivered twice; events, touches and contacts must be those of the plain bodies. The scenarios:
wrapper_scenarios.py; the wrappers and the ingest of what they write: wrappers_setup.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import remote
from ingest.cli import cli
from tests.factories import MINUTE, T0
from tests.ingest.receiver_server import StartReceiver, meta_json
from tests.ingest.wrapper_scenarios import SCENARIOS, SENT, USER_REF, P
from tests.ingest.wrappers_setup import (
    WRAPPERS,
    Rows,
    _ingest,
    _ingested,
    _log,
    _registered,
    _resent,
    _rows,
    _write,
    batched,
    plain,
)
from tests.local_http import served


@pytest.fixture(scope="module", autouse=True)
def clean_module_env() -> Iterator[None]:
    """The module's ingests run before each test's clean_env: no REFSCOPE_* of the caller."""
    mp = pytest.MonkeyPatch()
    for name in [n for n in os.environ if n.startswith("REFSCOPE_")]:
        mp.delenv(name)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """Each scenario's rows from plain POST bodies, one line each."""
    return _ingested(tmp_path_factory.mktemp("plain"), _log(plain))


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Rows]:
    """Each wrapper's rows, ingested once for all its scenarios."""
    done: dict[str, Rows] = {}

    def rows(wrapper: str) -> Rows:
        if wrapper not in done:
            folder = tmp_path_factory.mktemp(wrapper)
            done[wrapper] = _ingested(folder, _log(WRAPPERS[wrapper]))
        return done[wrapper]

    return rows


def _same(got: Rows, want: Rows, scenario: str) -> None:
    assert got["rejects"]["all"] == []
    for table in ("contacts", "touches", "events"):
        assert got[scenario][table] == want[scenario][table], table


# What "What refscope decides" says of each scenario's contact: (channel, ref, source, ad_id).
DECIDED = {
    "message_text": ("organic", None, None, None),
    "message_ads_referral": ("ctm_ad", None, "ADS", "23843301927710456"),
    "message_shops_product": ("other", None, None, None),
    "postback_without_referral": ("organic", None, None, None),
    "postback_shortlink": ("m_me_link", "bio_link", "SHORTLINK", None),
    "postback_ads": ("ctm_ad", None, "ADS", "23843301927710456"),
    "referral_shortlink_before_message": ("m_me_link", "flyer9", "SHORTLINK", None),
    "referral_ads_reentry": ("organic", None, None, None),
    "referral_messenger_code": ("qr_code", "code1", "MESSENGER_CODE", None),
    "referral_qr_code": ("qr_code", "qr_store12", "SHORTLINK", None),
    "postback_doc_sample": ("m_me_link", "doc", "SHORT-URL", None),
    "chat_plugin_user_ref_postback": ("chat_widget", "home", "CUSTOMER_CHAT_PLUGIN", None),
    "send_log_and_its_echo": ("comment_reply", None, None, None),
    "visitor_post_private_reply": ("comment_reply", None, None, None),
    "referral_unknown_source": ("other", "ig", "IGME-SOURCE-LINK", None),
    "chat_plugin_guest": ("chat_widget", "menu_page", "CUSTOMER_CHAT_PLUGIN", None),
    "chat_plugin_postback": ("chat_widget", "menu", "CUSTOMER_CHAT_PLUGIN", None),
    "optin_notification_messages": ("m_me_link", "rn1", "SHORTLINK", None),
    "optin_send_to_messenger": ("other", "s2m", None, None),
    "send_log_private_reply": ("comment_reply", None, None, None),
    "echo_metadata_private_reply": ("comment_reply", None, None, None),
}


@pytest.mark.parametrize("scenario", DECIDED)
def test_plain_bodies_give_what_refscope_decides(scenario: str, reference: Rows) -> None:
    assert reference["rejects"]["all"] == []
    (contact,) = [c for c in reference[scenario]["contacts"] if c[1] in (P, USER_REF)]
    assert (contact[4], contact[5], contact[6], contact[7]) == DECIDED[scenario]


def test_plain_bodies_give_the_guest_and_the_reentry(reference: Rows) -> None:
    (guest,) = reference["chat_plugin_guest"]["contacts"]
    assert guest[1:3] == (USER_REF, True)  # psid holds the user_ref, is_user_ref
    assert guest[9:11] == ("https://www.acmebakery.example/menu", True)
    (reentry,) = reference["referral_ads_reentry"]["contacts"]
    assert reentry[19] == 1  # reentry_count
    comments = sorted((row[4], row[6]) for row in reference["feed_comments"]["events"])
    assert comments == [(f.utc(T0), "add"), (f.utc(T0 + MINUTE), "edited"),
                        (f.utc(T0 + 2 * MINUTE), "remove")]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_every_wrapper_gives_the_rows_of_plain_bodies(
    wrapper: str, scenario: str, wrapped: Callable[[str], Rows], reference: Rows
) -> None:
    got = wrapped(wrapper)
    _same(got, reference, scenario)
    if wrapper in ("standby", "standby_in_envelope") and scenario != "feed_comments":
        assert got[scenario]["standby"] == [(True,)]


@pytest.fixture(scope="module")
def retried(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rows]:
    """Every delivery twice: the retry (sent later, logged by the receiver) in another file,
    read by a later run, and both files read in one run."""
    folder = tmp_path_factory.mktemp("retried")
    (first,) = _write(folder, {"webhooks-1.ndjson": _log(plain)["webhooks.ndjson"]})
    resent = [f.envelope(_resent(x), SENT + 20_000) for x in _log(plain)["webhooks.ndjson"]]
    (second,) = _write(folder, {"webhooks-2.ndjson": resent})
    _ingest(folder / "two_runs.duckdb", [first])
    _ingest(folder / "two_runs.duckdb", [first, second])
    _ingest(folder / "one_run.duckdb", [second, first])
    # The retry's log read first (a backfill of older logs comes later).
    _ingest(folder / "retry_first.duckdb", [second])
    _ingest(folder / "retry_first.duckdb", [first, second])
    return {runs: _rows(folder / f"{runs}.duckdb") for runs in RUNS}


RUNS = ("two_runs", "one_run", "retry_first")


@pytest.mark.parametrize("runs", RUNS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_retry_in_another_file_changes_nothing(
    scenario: str, runs: str, retried: dict[str, Rows], reference: Rows
) -> None:
    _same(retried[runs], reference, scenario)


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Rows]]:
    """Each scenario's rows from the plain log pulled over HTTP, as it is and gzipped."""
    root = tmp_path_factory.mktemp("served")
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    with served(handler) as base:
        mp = pytest.MonkeyPatch()
        mp.setenv("REFSCOPE_KEEP_TEXT", "1")
        try:
            out = {}
            for name in ("webhooks.ndjson", "webhooks.ndjson.gz"):
                _write(root, {name: _log(plain)["webhooks.ndjson"]})
                db = root / f"{name}.duckdb"
                url = f"{base}/{name}"
                assert remote.pull_logs(url, {}, _registered(db)) is not None
                out[name] = _rows(db)
            yield out
        finally:
            mp.undo()


@pytest.mark.parametrize("name", ["webhooks.ndjson", "webhooks.ndjson.gz"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_pulled_log_gives_the_rows_of_plain_bodies(
    scenario: str, name: str, pulled: dict[str, Rows], reference: Rows
) -> None:
    _same(pulled[name], reference, scenario)


def test_deliveries_posted_to_the_receiver_give_the_rows_of_plain_bodies(
    start_receiver: StartReceiver, tmp_path: Path, reference: Rows
) -> None:
    """Each POST signed and sent as Meta sends it, one alone and one batched, through a real
    receiver; its log (and the page's send log beside it) ingested."""
    receiver = start_receiver()
    sends = []
    for lines in (_log(plain)["webhooks.ndjson"], _log(batched)["webhooks.ndjson"]):
        for text in lines:
            body = json.loads(text)
            if body.get("object") == "send_api":
                sends.append(text)
            else:
                assert receiver.post(meta_json(body)).status_code == 200
    (sent,) = _write(receiver.log_dir, {"sends.ndjson": sends})
    db = tmp_path / "db.duckdb"
    _ingest(db, [*sorted(receiver.log_dir.glob("webhooks-*.ndjson")), sent])
    got = _rows(db)
    for scenario in SCENARIOS:
        _same(got, reference, scenario)


@pytest.mark.parametrize("follow", [[], ["--follow"]], ids=["once", "follow"])
def test_a_url_given_to_ingest_points_to_pull_logs(tmp_path: Path, follow: list[str]) -> None:
    """A log served over HTTP is read with `refscope pull logs URL` (README); `ingest URL`
    said the URL was no such file or directory."""
    url = "http://127.0.0.1:9/webhooks.ndjson"
    db = tmp_path / "db.duckdb"
    res = CliRunner().invoke(cli, ["ingest", *follow, url, "--db", str(db)])
    assert res.exit_code != 0
    assert f"{url}: a URL, not a file or directory: read it with `refscope pull logs URL`" in (
        res.output
    )
