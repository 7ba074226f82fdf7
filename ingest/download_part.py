"""What a cut download of `pull logs` goes on from: the answer being spooled, as its first
response said it (where in the file it starts, the file's size, the validator an If-Range names
its version with), and how a later response is told to be its rest, a larger version of it (a
live log appended to), or the proof of that (its bytes asked again from OVERLAP bytes before
the cut). RFC 9110 §14 and §13.1.5."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from .http_headers import content_length, content_range, encoded, if_range

OVERLAP = 4096  # bytes a resume of a version that changed asks again, to prove the log only grew


@dataclass
class Part:
    """The answer being spooled, as its first response said it: what a resume goes on from."""

    status: int
    headers: httpx.Headers = field(repr=False)  # a Set-Cookie may be a credential
    start: int  # the file's offset of its first byte (a 206's first; 0)
    total: int | None  # the file's size, when said
    validator: str  # what an If-Range names its version with; "": none (see prove_after_cut)
    size: int = 0  # its bytes spooled
    back: int = 0  # set: the next resume asks from this many bytes before end, without If-Range
    unversioned: bool = False  # those bytes prove a file without a validator, not a grown one
    version: httpx.Headers | None = field(default=None, repr=False)  # the newest gone on in
    own: bool = True  # its bytes are the file's own, from an offset said
    # Its first bytes, while they cannot yet tell a web page from a log (http_headers.html_start);
    # None once they have told. Kept across a cut: the rest may come in a resume.
    lead: bytes | None = b""

    @classmethod
    def of(cls, r: httpx.Response) -> Part:
        part = content_range(r.headers) if r.status_code == 206 else None
        whole = None if encoded(r.headers) else content_length(r.headers)
        start, total = (part[0], part[2]) if part else (0, whole if r.status_code == 200 else None)
        # A Content-Encoding's bytes (gzip) are not the file's: a range of the file would be
        # spliced to bytes decoded from another stream, or decoded twice. Nor is a part that
        # does not say where in the file it starts gone on from.
        own = (r.status_code == 200 or part is not None) and not encoded(r.headers)
        validator = if_range(r.headers) if own else ""
        return cls(r.status_code, r.headers, start, total, validator, own=own)

    @property
    def end(self) -> int:
        """The file's offset a resume asks from."""
        return self.start + self.size

    def answer(self) -> httpx.Headers:
        """The first response's headers, with the validators of the version last gone on in
        and its Date (a Last-Modified is told to be a validator by the Date beside it)."""
        if self.version is None:
            return self.headers
        headers = self.headers.copy()
        for name in ("etag", "last-modified", "date"):
            headers.pop(name, None)
            if name in self.version:
                headers[name] = self.version[name]
        return headers

    def grown(self, r: httpx.Response) -> bool:
        """Whether r says a validator, another than the version cut's, whose size was said, and
        a size larger than it, if any: the file may have grown since (a live log is appended
        to), worth proving so rather than reading it whole again. One no larger was replaced;
        one of a size unsaid (chunked) cannot be told from a file replaced."""
        if not (self.validator and self.size) or encoded(r.headers):
            return False
        said = "etag" in r.headers or "last-modified" in r.headers
        if not said or self._same_version(r.headers):
            return False
        got = content_range(r.headers)
        total = content_length(r.headers) if r.status_code == 200 else got[2] if got else None
        return self.total is not None and (total is None or total > self.total)

    def proves_growth(self, r: httpx.Response) -> bool:
        """Whether r is the part asked from `back` bytes before end, of a file larger than the
        version cut (its bytes there are compared with those spooled as they come)."""
        got = content_range(r.headers)
        if r.status_code != 206 or got is None or encoded(r.headers):
            return False
        first, last, total = got
        if self.unversioned:  # the next part of a file without a validator (grown, maybe)
            fits = total is not None and self.total is not None and total >= self.total
        else:  # a file grown since the version cut
            fits = total is not None and self.total is not None and total > self.total
        return first == self.end - self.back and last >= self.end and fits

    def adopt(self, r: httpx.Response) -> None:
        """Go on in r's version: the spooled bytes proved to be its own."""
        got = content_range(r.headers)
        self.version, self.validator = r.headers, if_range(r.headers)
        self.total, self.back, self.unversioned = None if got is None else got[2], 0, False

    def prove_after_cut(self) -> bool:
        """Whether a cut part that no If-Range can name (no ETag, a weak one, a Last-Modified of
        the second it was sent, as a log written to then has) is resumed from OVERLAP bytes
        before the cut, those bytes proving the same file or one grown (set so, if so); not
        when its bytes are not the file's own, or its size was not said (chunked)."""
        if self.validator or not (self.own and self.size) or self.total is None:
            return False
        self.back, self.unversioned = min(OVERLAP, self.size), True
        return True

    def goes_on_in(self, r: httpx.Response) -> bool:
        """Whether r is this part's rest: a 206 from its end to the file's, of the same version,
        in no Content-Encoding."""
        got = content_range(r.headers)
        if r.status_code != 206 or got is None or encoded(r.headers):
            return False
        first, _, total = got
        if self.total is not None and total != self.total:
            return False  # another size
        return first == self.end and self._same_version(r.headers)

    def _same_version(self, headers: httpx.Headers) -> bool:
        """Whether a part's validator is the cut answer's; one that says none is the version its
        If-Range named (a server that honours it sends a 200 for another)."""
        version = self.headers if self.version is None else self.version
        if "etag" in headers:
            return headers["etag"] == version.get("etag")
        if "last-modified" in headers:
            return "etag" not in version and headers["last-modified"] == self.validator
        return True
