"""The README's settings stay true: every variable read from the environment is named with its
default, the receiver's without its secrets and its body cap, and the system packages the
tests need."""

import re
from pathlib import Path

from tests.ingest.receiver_server import StartReceiver, start_receiver  # noqa: F401 (fixture)
from tests.test_docs import README


def test_readme_names_every_system_package_the_tests_need() -> None:
    """A newcomer runs `make test` on a fresh machine: each Debian package `.ci/run` installs
    for the tests is named beside it (libcairo2, without which the QR tests do not even load,
    was not)."""
    root = Path(__file__).resolve().parent.parent
    packages = re.findall(r"missing\+=\(([a-z0-9.+-]+)\)", (root / ".ci" / "run").read_text())
    assert "chromium" in packages
    head = README.split("## Commands", 1)[0]
    assert not [p for p in packages if f"`{p}`" not in head], packages


def test_readme_says_what_serve_does_without_its_secrets(
    start_receiver: StartReceiver,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """`refscope serve` starts with neither REFSCOPE_APP_SECRET nor REFSCOPE_VERIFY_TOKEN set:
    every delivery and every handshake then gets 503, naming the setting. The README named
    both but not what their absence does, the first thing to check when Meta's setup fails."""
    from ingest.receiver import ReceiverConfig

    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ={}))
    delivery = receiver.post(b'{"object": "page", "entry": []}')
    assert delivery.status_code == 503 and "REFSCOPE_APP_SECRET is not set" in delivery.text
    params = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
    handshake = receiver.get("/webhook", params=params)
    assert handshake.status_code == 503 and "REFSCOPE_VERIFY_TOKEN is not set" in handshake.text
    bullet = README.split("- Configuration comes from the environment only:", 1)[1]
    bullet = " ".join(bullet.split("\n- ", 1)[0].split())
    assert "without `REFSCOPE_APP_SECRET` every `POST /webhook` gets 503" in bullet
    assert "without `REFSCOPE_VERIFY_TOKEN` every handshake (`GET /webhook`) does" in bullet


def test_readme_and_changelog_give_the_receivers_body_cap() -> None:
    """The receiver refuses a body over its cap with 413; README and the changelog's Unreleased
    lines give the cap the code has (one Unreleased line still said 8 MiB after it became 1 MiB)."""
    from ingest.receiver import MAX_BODY_BYTES

    changelog = (Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text("utf-8")
    unreleased = " ".join(changelog.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].split())
    caps = re.findall(r"body cap is (\d+) MiB", unreleased)
    readme_caps = re.findall(r"a body over (\d+) MiB gets 413", " ".join(README.split()))
    assert caps and readme_caps
    assert {int(n) * 1024 * 1024 for n in caps + readme_caps} == {MAX_BODY_BYTES}


def test_readme_names_each_environment_setting_with_its_default() -> None:
    """Every variable the code reads from the environment is named in the README, and one with
    a default gives it there, as the code has it (`REFSCOPE_GRAPH_URL`'s was nowhere)."""
    from ingest import db, graph, memory_share
    from ingest.access import AUTH_ENV

    root = Path(__file__).resolve().parent.parent
    sources = [p for d in ("ingest", "dashboard") for p in (root / d).rglob("*.py")]
    code = "".join(p.read_text("utf-8") for p in sources)
    read = set(re.findall(r"\b(REFSCOPE_[A-Z_]+|BROWSER_PATH)\b", code)) - {AUTH_ENV}
    assert {"REFSCOPE_DB", "REFSCOPE_GRAPH_URL", "BROWSER_PATH"} <= read
    text = " ".join(README.split())
    assert not [v for v in sorted(read) if f"`{v}" not in text]
    defaults = {"REFSCOPE_DB": str(db.DEFAULT_DB), "REFSCOPE_GRAPH_URL": graph.DEFAULT_BASE_URL,
                "REFSCOPE_INGEST_MEMORY": memory_share.INGEST_MEMORY_LIMIT}  # fmt: skip
    for var, default in defaults.items():
        near = [text[max(0, m.start() - 200) : m.end() + 200] for m in re.finditer(var, text)]
        assert any(f"`{default}`" in n for n in near), (var, default)


def test_readme_says_how_the_size_settings_count() -> None:
    """`REFSCOPE_INGEST_BATCH`, `REFSCOPE_INGEST_MEMORY` and `REFSCOPE_MAX_BODY` take `8MB`,
    `512KiB` or bytes, K, M and G as powers of 1024 (the receiver's default cap, `1MB` in
    `serve --help`, is the README's 1 MiB): the README gave examples only."""
    from ingest import sizes

    env = {"X": "8MB", "Y": "512KiB", "Z": "1048576"}
    assert [sizes.size_setting(k, 0, env) for k in env] == [8 * 2**20, 512 * 2**10, 2**20]
    text = " ".join(README.split())
    at = text.index("`REFSCOPE_INGEST_BATCH` (e.g. `8MB`")
    assert "K, M and G are powers of 1024" in text[at : at + 200]


def test_readme_says_a_delivery_signed_only_with_the_legacy_sha1_header_is_refused(
    start_receiver: StartReceiver,  # noqa: F811 (the fixture imported above)
) -> None:
    """Meta sends the legacy `X-Hub-Signature` (SHA-1) beside `X-Hub-Signature-256`; only the
    latter is checked, so a delivery with the former alone (a proxy or a replay tool that kept
    one header) is refused with 403 and not logged. The README named only the SHA-256 header,
    and an operator whose deliveries came so could not tell why they were refused."""
    import hashlib
    import hmac

    from tests.ingest.receiver_server import SECRET

    receiver = start_receiver()
    raw = b'{"object":"page","entry":[]}'
    sha1 = "sha1=" + hmac.new(SECRET.encode(), raw, hashlib.sha1).hexdigest()
    r = receiver.client.post("/webhook", content=raw, headers={"X-Hub-Signature": sha1})
    assert r.status_code == 403 and receiver.lines() == []
    text = " ".join(README.split())
    assert "only the legacy `X-Hub-Signature` (SHA-1) counts as missing" in text
