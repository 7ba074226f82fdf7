"""Hand-made lines of README "Attribution"'s one click reported twice (PSIDs 6001 on): a first
message whose referral repeats the ad id and ref of the touch just before it, within that
touch's 24 hours, is no re-entry; another ad, another ref, a day later or a message between
make it another click."""

from __future__ import annotations

from tests.ingest.edge_cases import S, T, ad, item, msg, post

H = 3600 * S


def get_started(psid: str, ts: int, referral: dict) -> dict:
    body = {"title": "Get Started", "payload": "GET_STARTED", "mid": f"m_pb_{psid}"}
    return post(item(psid, ts, "postback", {**body, "referral": referral}))


def repeat_lines() -> list[object]:
    return [
        # Get Started from an ad, then the first message with the same ad's referral: 0 re-entries
        get_started("6001", T, ad("7101")),
        post(msg("6001", T + 60 * S, referral=ad("7101"))),
        # an existing thread re-entered from an ad, then its message: 1 re-entry
        post(msg("6002", T)),
        post(item("6002", T + H, "referral", ad("7102"))),
        post(msg("6002", T + H + 30 * S, n=1, referral=ad("7102"))),
        # the message a day and a minute after the Get Started: another click, 1 re-entry
        get_started("6003", T, ad("7103")),
        post(msg("6003", T + 24 * H + 60 * S, referral=ad("7103"))),
        # the same ad with a ref only the message carries: another click, 1 re-entry
        get_started("6004", T, ad("7104")),
        post(msg("6004", T + 60 * S, referral=ad("7104", ref="spring"))),
        # another ad: 1 re-entry
        get_started("6005", T, ad("7105")),
        post(msg("6005", T + 60 * S, referral=ad("7106"))),
        # a message between the Get Started and the one repeating its ad: 1 re-entry
        get_started("6006", T, ad("7107")),
        post(msg("6006", T + 10 * S)),
        post(msg("6006", T + 60 * S, n=1, referral=ad("7107"))),
        # a top-level referral dated in seconds, and the message of that second: 0 re-entries
        post(item("6007", T // 1000, "referral", ad("7108"))),
        post(msg("6007", T, referral=ad("7108"))),
        # the message that carried the ad's referral, then another one carrying it: 1 re-entry
        post(msg("6008", T, referral=ad("7109"))),
        post(msg("6008", T + H, n=1, referral=ad("7109"))),
        # a referral before the first message, then the message repeating it: 0 re-entries
        post(item("6009", T, "referral", ad("7110", ref="summer"))),
        post(msg("6009", T + 30 * S, referral=ad("7110", ref="summer"))),
        # Get Started, a re-entry referral of the same ad, then its message: 1 re-entry
        get_started("6010", T, ad("7111")),
        post(item("6010", T + 10 * 60 * S, "referral", ad("7111"))),
        post(msg("6010", T + 11 * 60 * S, referral=ad("7111"))),
    ]
