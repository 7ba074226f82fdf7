"""The one line a stopped `refscope ingest` (or `pull logs`, which ingests what it pulls) ends
with: what it leaves, as far as its run went."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cli_stop import LAKE_BEHIND

if TYPE_CHECKING:
    from .pipeline import Stage  # Arrow and NumPy: imported as ingest runs

# `ingest --follow` stopped again as it ends (its "stopped" said, or being said): every round
# read is committed, a round the first stop cut short rolled back, and the next ingest reads on.
FOLLOW_STOPPED_AGAIN = ("stopped: what was committed stays; the next `refscope ingest` of these "
                        "logs reads on from there")  # fmt: skip
# Before its run began (waiting for another process's lock, say), or was committed: the way ids
# are stored is committed with the run's row, in its first batch.
BEFORE_READING = "stopped before reading anything: nothing was written"
BEFORE_COMMITTING = "stopped before committing anything: nothing was written"
COMMITTED = "stopped: the ingest is committed"
RESUMES = ("stopped: what was committed stays; the next `refscope ingest` of the same inputs "
           "resumes the run")  # fmt: skip


class Said:
    """What a stop of a run (`ingest` without --follow, `pull logs`) says as it goes: `line`,
    first `before`, then each pipeline.Stage it reaches: its run open (`resumes`), committed
    (`committed`, with LAKE_BEHIND from the commit until the sync of a lake given, lake, ends)."""

    def __init__(self, *, lake: bool, before: str = BEFORE_READING, resumes: str = RESUMES,
                 committed: str = COMMITTED) -> None:  # fmt: skip
        self.line, self.resumes, self.committed, self.lake = before, resumes, committed, lake
        self.syncing = False

    def planned(self) -> None:
        if self.line == BEFORE_READING:  # not a killed run resumed: nothing committed yet
            self.line = BEFORE_COMMITTING

    def reached(self, stage: Stage) -> None:
        if stage == "run open":
            self.line = self.resumes
            return
        in_line = stage == "committed" and self.syncing  # the "committed" that ends a sync
        self.syncing = stage == "lake"
        self.line = self.committed + (LAKE_BEHIND if self.lake and not in_line else "")
