"""What one ingest run did: the counts its summary prints and its `ingest_runs` row keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import lake, spills


@dataclass
class IngestResult:
    run_id: int
    files: int = 0
    files_read: int = 0
    bytes_read: int = 0
    lines: int = 0
    events_parsed: int = 0
    events_added: int = 0
    rejects_added: int = 0
    left_out: int = 0  # events of forgotten people and pruned days: read, never stored
    rejects_left_out: int = 0  # rejected lines dated before the latest prune: never stored
    clicks_read: int = 0  # click lines read: stored in `clicks`, or already held there
    clicks_added: int = 0  # click lines stored in `clicks` (neither events nor rejects)
    insights_added: int = 0  # ad insights rows stored from files (insight_lines.py)
    insights_not_newer: int = 0  # ad insights rows of files not stored: as new or newer held
    new_contacts: int = 0
    seconds: float = 0.0  # over every process of a resumed run, to its last commit
    earlier_seconds: float = 0.0  # of a resumed run: what its killed processes had committed
    events_by_kind: dict[str, int] = field(default_factory=dict)
    new_contacts_by_channel: dict[str, int] = field(default_factory=dict)
    # Earlier contacts this run gave another channel ("organic → m_me_link": a late referral).
    channel_changes: dict[str, int] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    lake: lake.SyncResult | None = None
    spilled: spills.Removed | None = None  # a killed process's temporary files, removed
    warnings: list[str] = field(default_factory=list)  # inputs read only in part, and why
    resumed: bool = False  # carried on a run that was killed part-way
    started: bool = False  # its ingest_runs row exists

    @property
    def duplicates(self) -> int:
        return self.events_parsed - self.events_added - self.left_out

    @property
    def events_per_second(self) -> float:
        return self.events_parsed / self.seconds if self.seconds > 0 else 0.0
