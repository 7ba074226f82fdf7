"""refscope's ingest: Messenger logs → DuckDB, with first-touch attribution."""

from .errors import RefscopeError
from .pipeline import run
from .run_result import IngestResult

__all__ = ["IngestResult", "RefscopeError", "run"]
