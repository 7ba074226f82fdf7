"""The one line a stopped `refscope ingest` ends with: what it leaves, as far as its run went."""

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
_AT: dict[Stage, str] = {
    "run open": "stopped: what was committed stays; the next `refscope ingest` of the same "
                "inputs resumes the run",
    "committed": COMMITTED,
    "lake": COMMITTED + LAKE_BEHIND,  # its run committed, the lake's sync cut short
}  # fmt: skip


class Said:
    """What a stop of a run (not --follow) says as it goes: `line`, from nothing written to the
    run planned (its database open), then each pipeline.Stage it reaches."""

    def __init__(self) -> None:
        self.line = BEFORE_READING

    def planned(self) -> None:
        if self.line == BEFORE_READING:  # not a killed run resumed: nothing committed yet
            self.line = BEFORE_COMMITTING

    def reached(self, stage: Stage) -> None:
        self.line = _AT[stage]
