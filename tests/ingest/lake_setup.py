"""The second engine of the lake tests: pyarrow.dataset's counts of the lake's contacts."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds


def counts_by_channel_arrow(lake_dir: Path) -> dict[str, int]:
    """The second engine: pyarrow.dataset over the hive-partitioned folder."""
    table = ds.dataset(lake_dir / "contacts", format="parquet", partitioning="hive").to_table(
        columns=["channel"]
    )
    counts = pc.value_counts(table["channel"]).to_pylist()
    return {c["values"]: c["counts"] for c in counts}
