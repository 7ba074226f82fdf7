"""Ad insights from Meta's Marketing API (httpx): daily spend and results per ad → `ad_insights`.

Follows `paging.next` until it is absent, re-pulls the last 28 days (Meta revises them), refuses
ranges Meta would refuse (older than 37 months), and backs off on throttling as the usage
headers say. The access token comes from the environment and never reaches a message or log.
The days a pull asks for are in graph_days.py, the base URL it may go to in graph_url.py.
Facts: https://developers.facebook.com/docs/marketing-api/insights and
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import httpx

from . import strict_json
from .errors import GraphError as GraphError  # read as graph.GraphError too
from .graph_days import MAX_MONTHS_BACK as MAX_MONTHS_BACK  # the days a pull asks for
from .graph_days import REVISION_DAYS as REVISION_DAYS
from .graph_days import check_range as check_range
from .graph_days import default_since as default_since
from .graph_days import months_back as months_back
from .graph_url import BASE_URL_RULE as BASE_URL_RULE  # the base URL the token may go to
from .graph_url import DEFAULT_API_VERSION as DEFAULT_API_VERSION
from .graph_url import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from .graph_url import check_base_url as check_base_url
from .graph_url import without_token
from .graph_usage import DEFAULT_THROTTLE_WAIT as DEFAULT_THROTTLE_WAIT  # still graph.DEFAULT_…
from .graph_usage import (
    LONGEST_LIMIT_WINDOW,
    max_usage_pct,
    past_every_window,
    regain_seconds,
    stated_wait,
    throttle_wait,
    untimed_wait,
)
from .graph_words import cannot_mend, code_of, details, what_to_do
from .http_failures import direct_to_this_machine, not_retried
from .http_headers import SNIFF_BYTES, html_page, retry_after

# Throttling arrives as these error codes, often with HTTP 400, not 429: the app, user, Pages
# and custom limits, "application limit reached" (341: "wait and retry", as Meta's table of
# https://developers.facebook.com/docs/graph-api/guides/error-handling says of 4 and 17), and
# the business use case limits 80000-80014.
THROTTLE_CODES = {4, 17, 32, 341, 613, *range(80000, 80015)}
# "unknown", "service temporarily unavailable" and "temporarily blocked for policies
# violations": Meta's table says to wait and retry each (error-handling guide above).
TRANSIENT_CODES = {1, 2, 368}
# error_subcode of an insights call that asks for too much data at once ("reduce the amount of
# data", "request timed out: try a smaller date range"; Meta's table gives them under 100 and 2):
# asked again as is, it fails again. A subcode names the error whichever code it comes under.
# https://developers.facebook.com/docs/marketing-api/insights/best-practices and
# https://developers.facebook.com/documentation/ads-commerce/marketing-api/insights/error-codes
TOO_MUCH_DATA = {1487534, 1504018, 1504038}
# The same refusal as Meta's sync insights calls answer it in practice: HTTP 500, code 1 (else
# "unknown", retried) with or without error_subcode 99, told apart by its words only.
# https://github.com/facebook/facebook-python-business-sdk/issues/470
ASKS_FOR_LESS = "reduce the amount of data"
USAGE_SLOWDOWN_PCT = 90  # at this usage or above, pause before the next call
MAX_RETRIES = 8
# A sync insights call "can return out-of-memory or timeout errors" on too much data, and
# Meta's remedy for a timed-out one is a smaller date range (the best practices and error codes
# above): a range of days answered this many times in a row by no answer in time (a read
# timeout, a gateway's 504, Meta's 1/99) is asked in parts, as a refusal as too much data is.
# One day alone is retried as any network failure.
TIMEOUTS_BEFORE_SPLIT = 2
MAX_REDIRECTS = 5  # a 3xx to the base URL's origin is followed this many times in a row
# Every effective status of an ad (Meta's Ad reference), deleted and archived included: an
# account's insights at level=ad leave those two out unless a filter names them, and a re-pull
# would then remove the stored spend of an ad deleted since it delivered.
# https://developers.facebook.com/docs/marketing-api/best-practices/manage-your-ad-object-status
AD_STATUSES = ("ACTIVE", "PAUSED", "DELETED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED",
               "PENDING_BILLING_INFO", "CAMPAIGN_PAUSED", "ARCHIVED", "ADSET_PAUSED",
               "IN_PROCESS", "WITH_ISSUES")  # fmt: skip
FILTERING = json.dumps(
    [{"field": "ad.effective_status", "operator": "IN", "value": list(AD_STATUSES)}],
    separators=(",", ":"),
)
FIELDS = (
    "date_start,date_stop,account_id,campaign_id,campaign_name,adset_id,adset_name,ad_id,"
    "ad_name,spend,impressions,clicks,actions,cost_per_action_type,account_currency"
)


class TooMuchData(GraphError):
    """Meta refused the call as too much data: a smaller date range may be answered."""


class UnwaitedThrottle(GraphError):
    """Meta's usage headers said to wait longer than any window it counts a limit over: the
    pull stops, saying when to try again (the account node's call too, which other failures
    do not stop)."""


@dataclass(frozen=True)
class PullResult:
    rows: int
    pages: int
    since: dt.date
    until: dt.date
    waited_seconds: float
    # Days Meta refused as too much data even alone, with its words: left out, their stored
    # rows kept, not recorded as pulled.
    refused: tuple[tuple[dt.date, str], ...] = ()


@dataclass
class GraphClient:
    token: str = field(repr=False)  # a secret: never in a repr (a traceback, a log record)
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0  # seconds waited for rate limits (not the backoff after failures)
    # Told why and how long before each wait: a pull that waits minutes is not silent.
    on_wait: Callable[[str], None] | None = None
    # The headers of the last answer not yet waited for: read before the next call, whichever
    # it is (the next page, the next part of a range asked in parts, after a refusal too).
    _usage: httpx.Headers | None = field(default=None, init=False, repr=False)
    # A throttle that a call gave up on (the account node asks once more only): its wait and
    # why, waited out before the next call, which Meta would throttle (and count) too.
    _owed: tuple[float, str] | None = field(default=None, init=False, repr=False)

    def insights(self, account: str, since: dt.date, until: dt.date) -> Iterator[list[Any]]:
        """Pages of daily per-ad insight rows, following paging.next until it is absent."""
        url: str | None = f"{self.base_url.rstrip('/')}/{self.api_version}/{account}/insights"
        params: dict[str, str] | None = {
            "level": "ad",
            "time_increment": "1",
            "fields": FIELDS,
            "time_range": json.dumps({"since": str(since), "until": str(until)}),
            "filtering": FILTERING,
            "limit": "500",
        }
        own = self.client is None
        client = self.client or self._own_client(60.0)
        seen: set[str] = set()
        try:
            while url:
                body = self._get(client, url, params, parts=since < until)[0]
                # Meta's answer always has `data` (`[]` for days without delivery): one without
                # is not an empty answer, whose days would lose their stored rows.
                data, paging = body.get("data"), body.get("paging") or {}
                if (
                    not isinstance(data, list)
                    or not isinstance(paging, dict)
                    or not all(isinstance(r, dict) for r in data)
                ):  # another API at --base-url, or a proxy that rewrote the answer
                    raise GraphError(
                        "Graph API: an answer not shaped like insights (no data list of rows, "
                        "or paging not an object): is --base-url the Graph API?"
                    )
                yield data
                nxt = paging.get("next")
                url, params = (self._next_url(nxt), None) if isinstance(nxt, str) and nxt else (
                    None, None)  # fmt: skip
                if url in seen:  # a server that pages in a circle would never end
                    raise GraphError(
                        "Graph API paging.next leads back to a page already read; stopped"
                    )
                if url:
                    seen.add(url)
        finally:
            if own:
                client.close()

    def node(self, path: str, fields: str) -> dict[str, Any]:
        """GET /{version}/{path}?fields=…: a throttled answer is waited out as the insights
        calls wait, then asked once more; any other failure is a GraphError at once."""
        client = self.client or self._own_client(30.0)
        try:
            url = f"{self.base_url.rstrip('/')}/{self.api_version}/{path}"
            return self._get(client, url, {"fields": fields}, once=True)[0]
        finally:
            if self.client is None:
                client.close()

    def _own_client(self, timeout: float) -> httpx.Client:
        return httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0),
                            mounts=direct_to_this_machine(self.base_url))  # fmt: skip

    def _get(
        self, client: httpx.Client, url: str, params: dict[str, str] | None, once: bool = False,
        parts: bool = False,
    ) -> tuple[dict[str, Any], httpx.Headers]:  # fmt: skip
        """One page's body and headers, waiting out throttling and transient failures (once:
        throttling once, no other failure; parts: a range of days, TooMuchData when it times
        out TIMEOUTS_BEFORE_SPLIT times in a row)."""
        attempt, hops, timeouts, untimed = 0, 0, 0, 0  # untimed: throttles since one said a time
        tries, backoffs = (2, 1) if once else (MAX_RETRIES, MAX_RETRIES)
        if self._owed is not None:  # a throttle the last call gave up on, before this call
            (wait, why), self._owed = self._owed, None
            self.wait(wait, f"{why}; waiting {wait:.0f} s before the next call")
        if self._usage is not None:  # the last answer's usage, before this call is made
            self._respect_usage(self._usage)
            self._usage = None
        while attempt < MAX_RETRIES:
            attempt += 1
            # The token travels in a header, never in a URL (URLs end up in logs); Meta's
            # paging.next links carry it as a query parameter, which is dropped.
            url = without_token(url)
            headers = {"Authorization": f"Bearer {self.token}"}
            try:
                resp = client.get(url, params=params, headers=headers)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                # A bad URL stays bad: no retries, a plain message (never the token).
                raise GraphError(self._scrub(f"Graph API URL refused: {exc}")) from None
            except httpx.TransportError as exc:
                if refused := not_retried(exc):
                    raise GraphError(f"Graph API: {refused}") from None
                said = self._scrub(str(exc))[:200]  # the OS's words: refused, reset, timed out
                why = f"network: {type(exc).__name__}" + (f" ({said})" if said else "")
                timeouts = timeouts + 1 if isinstance(exc, httpx.ReadTimeout) else 0
                if parts and timeouts >= TIMEOUTS_BEFORE_SPLIT:  # asked, never answered in time
                    raise TooMuchData(f"Graph API: {why}, {timeouts} times in a row") from None
                self._pause(min(2.0**attempt, 60.0), attempt, why, tries=backoffs)
                continue
            except httpx.HTTPError as exc:  # an undecodable body
                raise GraphError(self._scrub(f"Graph API: {type(exc).__name__}: {exc}")) from None
            if resp.is_redirect:  # httpx follows none: only those to the base URL's origin
                url, params = self._redirected(resp, hops), None
                hops, attempt = hops + 1, attempt - 1  # a redirect is no failed attempt
                continue
            in_row, timeouts = timeouts, 0  # an answer: not a timeout unless it says so below
            try:  # a key given twice read at its first value, as every other reading (not httpx's)
                body = strict_json.loads(resp.content, constants=True)
            except (ValueError, RecursionError):  # not JSON, or nested deeper than it parses
                body = None
            err = body.get("error") if isinstance(body, dict) else None
            if resp.status_code == 200 and isinstance(body, dict) and not err:
                self._usage = resp.headers
                return body, resp.headers
            if resp.status_code == 200 and err is None:
                labelled = "html" in resp.headers.get("content-type", "").lower()
                first = resp.content[:SNIFF_BYTES]  # blank lines may come before the page
                if body is None and labelled and html_page(resp.headers, first):
                    # A website or a proxy's login page, said to be one: asking again brings it
                    # again (an answer cut or garbled on the way is asked again, below).
                    raise GraphError("Graph API: the answer is a web page (HTTP 200), not the "
                                     "Graph API's JSON: is --base-url the Graph API (or a "
                                     "proxy's login page in the way)?")  # fmt: skip
                # A cut or garbled answer is not an empty last page: ask again.
                self._pause(min(2.0**attempt, 60.0), attempt, "HTTP 200 without a JSON object",
                            tries=backoffs)  # fmt: skip
                continue
            code = code_of(err)
            # Scrubbed before it is cut: a cut could leave the start of an echoed token.
            msg = err.get("message", "") if isinstance(err, dict) else self._scrub(resp.text)[:200]
            less = code == 1 and ASKS_FOR_LESS in str(msg).lower()
            if less or code_of(err, "error_subcode") in TOO_MUCH_DATA:
                self._usage = resp.headers  # its halves are asked next
                raise TooMuchData(self._scrub(f"Graph API error {code}: {msg}"))
            # A Retry-After (RFC 9110, a 429 or 503 of Meta's edge or a proxy) is waited out:
            # a throttle's whole (asked sooner, the call counts against the limit), a failing
            # server's up to 300 s (http_headers.RETRY_AFTER_CAP).
            told = retry_after(resp.headers)
            if code in THROTTLE_CODES or resp.status_code == 429:
                told = retry_after(resp.headers, cap=LONGEST_LIMIT_WINDOW)
                why = f"throttled (code {code}" + (f": {msg})" if msg else ")")
                # Meta's usage headers say how long (when they do not, longer at each throttle
                # in a row: untimed_wait); a bare 429 (no error code: a proxy's, Meta's edge)
                # its Retry-After when it has one.
                stated = told if told and not code else max(told, stated_wait(resp.headers))
                if too_long := past_every_window(stated):
                    raise UnwaitedThrottle(self._scrub(f"Graph API: {why}; {too_long}"))
                untimed = 0 if stated else untimed + 1
                wait = stated or untimed_wait(untimed)
                if attempt >= tries:  # not asked again here: the next call waits it out
                    self._owed = (wait, self._scrub(why))
                self._pause(wait, attempt, self._scrub(why), limit=True, tries=tries)
                continue
            # Meta marks errors worth retrying with is_transient, whatever their code or status:
            # https://developers.facebook.com/docs/graph-api/guides/error-handling
            # A 5xx is retried unless its code says no retry can mend it (an expired token).
            transient = isinstance(err, dict) and err.get("is_transient") is True
            server = resp.status_code >= 500 and not cannot_mend(code)
            if server or code in TRANSIENT_CODES or transient:
                why = self._scrub(f"HTTP {resp.status_code}"
                                  + (f", error {code}: {msg}" if code else ""))  # fmt: skip
                # A gateway that gave up waiting (504), or Meta's 1/99 of a long insights range
                # (facebook-python-business-sdk#440, #510): not answered in time, as above.
                if resp.status_code == 504 or (code, code_of(err, "error_subcode")) == (1, 99):
                    timeouts = in_row + 1
                    if parts and timeouts >= TIMEOUTS_BEFORE_SPLIT:
                        self._usage = resp.headers  # its halves are asked next
                        raise TooMuchData(f"Graph API: {why}, {timeouts} times in a row")
                self._pause(told or min(2.0**attempt, 60.0), attempt, why, tries=backoffs)
                continue
            # An answer without a word (a proxy's 404, a wrong --base-url): say what there was.
            msg = str(msg).strip() or f"HTTP {resp.status_code} with an empty answer"
            said = f"{msg}{details(err, self._scrub)}{what_to_do(code)}"  # details: cut, scrubbed
            raise GraphError(self._scrub(f"Graph API error {code or resp.status_code}: {said}"))
        raise GraphError(f"Graph API still failing after {MAX_RETRIES} attempts")

    def _redirected(self, resp: httpx.Response, hops: int) -> str:
        """Where a 3xx answer sends the request, when it stays on the base URL's origin (the
        token goes to that origin only, as for paging.next); a GraphError otherwise."""
        if hops >= MAX_REDIRECTS:
            raise GraphError(f"Graph API: redirected more than {MAX_REDIRECTS} times; stopped")
        to = resp.request.url.join(resp.headers["location"])
        base = httpx.URL(self.base_url)
        if (to.scheme, to.host, to.port) != (base.scheme, base.host, base.port):
            raise GraphError(f"Graph API: an answer redirects to {to.scheme}://{to.host[:60]}, "
                             "not the --base-url host: not followed (the access token is sent "
                             "to that host only); set --base-url to where it leads")  # fmt: skip
        return str(to)

    def _pause(self, seconds: float, attempt: int, why: str, limit: bool = False,
               tries: int = MAX_RETRIES) -> None:  # fmt: skip
        if attempt >= tries:
            raise GraphError(f"Graph API: {why}; giving up after {attempt} attempts")
        self.wait(seconds, f"{why}; retrying in {seconds:.0f} s (attempt {attempt + 1} of "
                            f"{tries})", limit)  # fmt: skip

    def wait(self, seconds: float, why: str, limit: bool = True) -> None:
        """Sleep, saying why; `waited` counts the waits for rate limits (limit), not the
        backoff after a failure."""
        if self.on_wait:
            self.on_wait(why)
        if limit:
            self.waited += seconds
        self.sleep(seconds)

    def _next_url(self, nxt: str) -> str:
        """paging.next, without its access_token, on the configured base URL's origin: the
        token is sent to that origin only, never to whatever host a response body names (Meta's
        links name graph.facebook.com even when the base URL is a proxy)."""
        url = urlsplit(without_token(nxt))
        base = urlsplit(self.base_url)
        if (url.scheme, url.netloc) == (base.scheme, base.netloc):
            return urlunsplit(url)
        path = base.path.rstrip("/") + "/" + url.path.lstrip("/")
        return urlunsplit(url._replace(scheme=base.scheme, netloc=base.netloc, path=path))

    def _respect_usage(self, headers: httpx.Headers) -> None:
        """Pause before the next call when any usage header of the last answer is near its
        limit, or says access is to be regained later (a throttled answer is waited out once,
        in _get, not here too)."""
        if max_usage_pct(headers) >= USAGE_SLOWDOWN_PCT or regain_seconds(headers) > 0:
            wait = throttle_wait(headers)
            if too_long := past_every_window(wait):
                raise UnwaitedThrottle(f"Graph API: near its rate limit; {too_long}")
            self.wait(wait, f"near the Graph API's rate limit: waiting {wait:.0f} s")

    def _scrub(self, text: str) -> str:
        """text without the token, as sent or URL-encoded (an echo of a request URL)."""
        if not self.token:
            return text
        t = self.token
        for form in dict.fromkeys([t, quote(t, safe=""), quote_plus(t), t.replace("/", "\\/")]):
            text = text.replace(form, "***")
        return text
