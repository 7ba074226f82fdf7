"""The dashboard's global filters: a date range, pages and channels, and the period before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Filters:
    """The sidebar's global filters: an inclusive date range, pages and channels (empty = all)."""

    start: dt.date
    end: dt.date
    pages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period before, of the same length, shifted by whole weeks so weekdays align."""
        shift = dt.timedelta(days=7 * -(-self.days // 7))
        return replace(self, start=self.start - shift, end=self.end - shift)

    def params(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "pages": list(self.pages),
            "channels": list(self.channels),
        }
