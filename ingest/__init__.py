"""refscope's ingest: Messenger logs → DuckDB, with first-touch attribution.

`run` and `IngestResult` are imported on first use, not with the package: `refscope serve`
takes SIGHUP (`cli_stop.keep_serving_from_start`) before the DuckDB and Arrow imports, which
take half a second, and the package is imported before it can."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import RefscopeError

if TYPE_CHECKING:
    from .pipeline import run
    from .run_result import IngestResult

__all__ = ["IngestResult", "RefscopeError", "run"]


def __getattr__(name: str) -> Any:
    if name == "run":
        from .pipeline import run

        return run
    if name == "IngestResult":
        from .run_result import IngestResult

        return IngestResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
