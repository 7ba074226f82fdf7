"""`refscope forget` and a shared location in a rejected line: where rejected lines keep what
people sent (no salt, or --keep-text), a forgotten person's coordinates go with their id and
their text, in `forget` and in later ingests; another person's stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import Privacy, forgotten_hash
from tests import factories as f
from tests.conftest import Query

SALT = "pepper-for-tests"
PSID, OTHER = "5550001112223334", "5550001112229999"
HOME = {"lat": 59.334591, "long": 18.06324}  # where the forgotten person lives
SHOP = {"lat": 57.70887, "long": 11.97456}  # someone else's shared location


def located(psid: str, where: dict[str, float], ts: int) -> dict[str, object]:
    """A message sharing a location, without its mid: its line is rejected."""
    item = f.message(
        None, psid=psid, ts=ts,
        attachments=[{"type": "location", "payload": {"coordinates": where}}],
    )  # fmt: skip
    del item["message"]["mid"]
    return item


def rejected_lines() -> list[str]:
    mine, theirs = located(PSID, HOME, f.T0), located(OTHER, SHOP, f.T0 + 1)
    body = f.line(f.delivery(located(PSID, HOME, f.T0 + 2)))
    # The second: a cut body, which the receiver keeps as a string.
    return [f.line(f.delivery(mine, theirs)), f.line(f.envelope(body[:-2]))]


@pytest.mark.parametrize(
    ("salt", "keep_text"), [(None, False), (SALT, True)], ids=["plain", "salted-keep-text"]
)
def test_forget_removes_the_persons_location_from_rejected_lines(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    salt: str | None, keep_text: bool,
) -> None:  # fmt: skip
    """Read, then forgotten; or forgotten, then read: no number of the forgotten person's
    location stays in the lines or in the database file, the other person's stays."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", rejected_lines())
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"

    def forget(path: Path) -> None:
        res = runner.invoke(cli, ["forget", PSID, "--db", str(path)])
        assert res.exit_code == 0, res.output

    pipeline.run([str(log)], seen_first, keep_text=keep_text)
    sql = "SELECT raw FROM rejects ORDER BY line_no"
    assert all("59.334591" in raw for (raw,) in Query(seen_first)(sql))
    forget(seen_first)
    forget(forgot_first)
    pipeline.run([str(log)], forgot_first, keep_text=keep_text)
    for path in (seen_first, forgot_first):
        raws = [raw for (raw,) in Query(path)(sql)]
        assert len(raws) == 2
        assert '"coordinates":{"lat":null,"long":null}' in raws[0]
        assert '\\"coordinates\\":{\\"lat\\":null,\\"long\\":null}' in raws[1]
        assert '"coordinates":{"lat":57.70887,"long":11.97456}' in raws[0]  # not theirs
        for number in ("59.334591", "18.06324"):
            assert all(number not in raw for raw in raws)
            assert number.encode() not in path.read_bytes()


def test_redact_nulls_only_the_forgotten_persons_coordinates() -> None:
    line = f.line(f.delivery(located(PSID, HOME, f.T0), located(OTHER, SHOP, f.T0 + 1)))
    out = Privacy().redact(line, {forgotten_hash(PSID)})
    assert out.count('"lat":null,"long":null') == 1
    assert '"lat":57.70887,"long":11.97456' in out
