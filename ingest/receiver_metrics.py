"""The receiver's Prometheus counters: deliveries accepted and refused, clicks, log writes and
fsync times, and their rendering in the text exposition format served at /metrics."""

from __future__ import annotations

from collections.abc import Mapping

REFUSALS = (
    "missing", "malformed", "mismatch", "no_secret_configured", "too_large", "slow_body",
    "disconnected",  # the client hung up before its whole body came
    "invalid_http",  # a head or chunk h11 could not parse (a bad Content-Length), uvicorn's 400
)  # fmt: skip


class Metrics:
    """Counters for /metrics; touched only on the event loop."""

    def __init__(self) -> None:
        self.accepted = 0
        self.refused = dict.fromkeys(REFUSALS, 0)
        self.write_errors = 0
        self.bytes_written = 0
        self.lines_written = 0
        self.batches = 0
        self.fsync_sum = 0.0
        self.fsync_count = 0
        self.fsync_max = 0.0
        self.clicks = 0
        self.clicks_refused = dict.fromkeys(
            ("unknown_ref", "ambiguous_page", "registry_locked", "registry_unread"), 0
        )
        # redirected by their ?page= while the registry was locked, or before one was read
        self.clicks_unchecked = 0
        self.clicks_prefetch_declined = 0  # a browser's prefetch or prerender, answered 503

    def render(self, registry_refs: int) -> str:
        """The Prometheus text exposition format."""

        def by(label: str, counts: Mapping[str, int]) -> dict[str, float]:
            return {f'{{{label}="{k}"}}': v for k, v in counts.items()}

        families: list[tuple[str, str, str, Mapping[str, float]]] = [
            ("deliveries_accepted_total", "counter", "Deliveries verified and durably logged.",
             {"": self.accepted}),
            ("deliveries_refused_total", "counter", "Deliveries refused, by reason.",
             by("reason", self.refused)),
            ("write_errors_total", "counter", "Requests whose line could not be written.",
             {"": self.write_errors}),
            ("bytes_written_total", "counter", "Bytes appended to the logs.",
             {"": self.bytes_written}),
            ("lines_written_total", "counter", "Lines appended to the logs.",
             {"": self.lines_written}),
            ("write_batches_total", "counter", "Group commits: one write and fsync per file.",
             {"": self.batches}),
            ("fsync_seconds", "summary", "Time spent in fsync.",
             {"_sum": self.fsync_sum, "_count": self.fsync_count}),
            ("fsync_seconds_max", "gauge", "Longest single fsync.", {"": self.fsync_max}),
            ("clicks_total", "counter", "Tracked-link clicks and scans logged.",
             {"": self.clicks}),
            ("clicks_unchecked_total", "counter",
             "Clicks logged and redirected by their ?page= while the registry was locked "
             "or before one was read.",
             {"": self.clicks_unchecked}),
            ("clicks_refused_total", "counter", "Clicks answered 404 (503 while the registry "
             "is locked or before one was read), by reason.", by("reason", self.clicks_refused)),
            ("clicks_prefetch_declined_total", "counter",
             "Browser prefetches and prerenders of tracked links answered 503, not logged.",
             {"": self.clicks_prefetch_declined}),
            ("registry_refs", "gauge", "Refs in the cached tracked-links registry.",
             {"": registry_refs}),
        ]  # fmt: skip
        out: list[str] = []
        for name, kind, help_, values in families:
            out.append(f"# HELP refscope_{name} {help_}\n# TYPE refscope_{name} {kind}")
            out.extend(f"refscope_{name}{suffix} {value!r}" for suffix, value in values.items())
        return "\n".join(out) + "\n"
