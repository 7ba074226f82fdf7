"""A symbolic link planted in the lake's folder under the name of a file a sync writes for a
moment (the manifest's `.tmp`): the file it points to is not overwritten, and the lake's
manifest is a file of its own again."""

from __future__ import annotations

from pathlib import Path

from ingest import db, lake, links, pipeline
from tests import factories as f


def test_a_sync_writes_no_manifest_through_a_planted_link(db_path: Path, tmp_path: Path) -> None:
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("flyer9"), psid="u1", ts=f.T0))
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    victim = tmp_path / "elsewhere" / "notes.txt"
    victim.parent.mkdir()
    victim.write_text("keep me")
    (lake_dir / f".{lake.MANIFEST}.tmp").symlink_to(victim)
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(f.PAGE_ID, "flyer9", channel="qr")])
        assert lake.sync(con, lake_dir).written > 0
    finally:
        con.close()
    assert victim.read_text() == "keep me"
    manifest = lake_dir / lake.MANIFEST
    assert not manifest.is_symlink() and '"contacts"' in manifest.read_text()
