"""A symbolic link planted in the lake's folder under the name of a file or folder a sync
writes for a moment (the manifest's `.tmp`, a table's `.staging-` folder): nothing is written
where it points, and the lake is whole again."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ingest import db, lake, links, pipeline
from tests import factories as f


def _sync_with_planted(db_path: Path, tmp_path: Path, name: str, target: Path) -> Path:
    """A lake of one contact of the ref flyer9, a link `name` in its folder to target, then a
    sync that rewrites its partitions (flyer9 registered as a QR code): the lake's folder."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("flyer9"), psid="u1", ts=f.T0))
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    (lake_dir / name).symlink_to(target, target_is_directory=target.is_dir())
    with contextlib.closing(db.connect(db_path)) as con:
        links.register(con, [links.make_link(f.PAGE_ID, "flyer9", channel="qr")])
        assert lake.sync(con, lake_dir).written > 0
    return lake_dir


def test_a_sync_writes_no_manifest_through_a_planted_link(db_path: Path, tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "notes.txt"
    victim.parent.mkdir()
    victim.write_text("keep me")
    lake_dir = _sync_with_planted(db_path, tmp_path, f".{lake.MANIFEST}.tmp", victim)
    assert victim.read_text() == "keep me"
    manifest = lake_dir / lake.MANIFEST
    assert not manifest.is_symlink() and '"contacts"' in manifest.read_text()


def test_a_sync_writes_no_partition_into_a_folder_a_planted_link_names(
    db_path: Path, tmp_path: Path
) -> None:
    """`.staging-<table>` is where a sync writes changed partitions before moving them in: a
    link there to another folder had them written in that folder (its empty folders stayed)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lake_dir = _sync_with_planted(db_path, tmp_path, ".staging-contacts", elsewhere)
    assert list(elsewhere.iterdir()) == []
    assert not (lake_dir / ".staging-contacts").exists()
