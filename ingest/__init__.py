"""refscope's ingest: Messenger logs → DuckDB, with first-touch attribution."""

from .errors import RefscopeError
from .pipeline import IngestResult, run

__all__ = ["IngestResult", "RefscopeError", "run"]
