"""Hand-made webhook lines for the reference tests, one person per rule, each a variant the
demo logs do not hold; here the builders: a messaging item, a message, a link or ad referral,
an echo, a POST body and a Send API log line, on a page at one instant."""

from __future__ import annotations

PAGE, PAGE2 = "1122334455667788", "203948571620394"
T = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, before the chat plugin's shutdown
S = 1000  # a second in milliseconds


def item(psid: str, ts: object, key: str, body: dict, page: str = PAGE) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts, key: body}


def msg(psid: str, ts: object, n: int = 0, page: str = PAGE, **extra: object) -> dict:
    return item(psid, ts, "message", {"mid": f"m_{psid}_{n}", "text": "hi", **extra}, page)


def link(ref: str = "spring", source: str | None = "SHORTLINK", **extra: object) -> dict:
    out = {"ref": ref, "type": "OPEN_THREAD", **extra}
    if source is not None:
        out["source"] = source
    return out


def ad(ad_id: str = "6045", **extra: object) -> dict:
    return {"source": "ADS", "type": "OPEN_THREAD", "ad_id": ad_id, **extra}


def echo(psid: str, ts: int, n: int, metadata: str | None = None, page: str = PAGE) -> dict:
    body: dict = {"is_echo": True, "app_id": 1517776481860111, "mid": f"m_echo_{psid}_{n}"}
    if metadata is not None:
        body["metadata"] = metadata
    return {"sender": {"id": page}, "recipient": {"id": psid}, "timestamp": ts, "message": body}


def post(*items: dict, page: str = PAGE, container: str = "messaging") -> dict:
    return {"object": "page", "entry": [{"id": page, "time": T, container: list(items)}]}


def send_log(psid: str, ts: int | None, comment_id: str, page: str = PAGE) -> dict:
    out = {
        "object": "send_api",
        "page_id": page,
        "request": {"recipient": {"comment_id": comment_id}, "message": {"text": "Hi"}},
        "response": {"recipient_id": psid, "message_id": f"m_send_{psid}_{comment_id}"},
    }
    if ts is not None:
        out["timestamp"] = ts
    return out
