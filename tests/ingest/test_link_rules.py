"""The rules of a tracked link: its ref, its page, its redirect address, the ref built from the
naming convention, the file names of its codes and its m.me URL."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest import link_rules, links
from ingest.errors import ValidationError


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("qr_store12", True),
        ("A-z_0=9", True),
        ("x" * 250, True),
        ("", False),
        ("x" * 251, False),
        ("with space", False),
        ("slash/ref", False),
        ("émoji", False),
        ("dot.ref", False),
    ],
    ids=["plain", "all-classes", "250", "empty", "251", "space", "slash", "non-ascii", "dot"],
)
def test_ref_rule(ref: str, ok: bool) -> None:
    if ok:
        assert links.check_ref(ref) == ref
    else:
        with pytest.raises(ValidationError, match="A-Z a-z 0-9 _ - ="):
            links.check_ref(ref)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 251, "invalid ref '" + "x" * 60 + "'… (251 characters): a ref uses only"),
        ("x" * 100 + "/x", "invalid ref '" + "x" * 60 + "'… ('/' at character 101): a ref"),
        ("bad ref", "invalid ref 'bad ref' (' ' at character 4): a ref uses only"),
        ("utm=" + "x" * 247, "invalid ref 'utm=" + "x" * 56 + "'… (251 characters): a ref"),
    ],
    ids=["too-long", "bad-character-past-the-quoted-start", "space", "too-long-with-equals"],
)
def test_a_refused_ref_says_which_part_of_the_rule_it_broke(value: str, message: str) -> None:
    """A message quotes the start of a long ref: it says that it is cut, and what is wrong (a
    251-character ref read as 60 allowed characters 'breaking' the rule)."""
    with pytest.raises(ValidationError) as refused:
        links.check_ref(value)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("page", "fault"),
    [
        ("acme", "(4 characters)"),
        ("a" * 70, "'" + "a" * 60 + "'… (70 characters)"),
        ("acme_bakery", "('_' at character 5)"),
        (".....", "(no letter)"),
        ("acmebakery.net", "(ends in .net)"),
        ("a" * 46 + ".com", "'" + "a" * 46 + ".com' (ends in .com)"),
        ("a" * 60, "'" + "a" * 60 + "' (60 characters)"),  # quoted whole: no mark of a cut
        ("ACMEBAKERY.COM", "(ends in .COM)"),
        ("0", "'0' (a page id starting with 0)"),
        ("0123456", "'0123456' (a page id starting with 0)"),
    ],
)
def test_a_refused_page_says_which_part_of_the_rule_it_broke(page: str, fault: str) -> None:
    with pytest.raises(ValidationError, match="5 to 50 ASCII letters") as refused:
        links.check_page(page)
    assert fault in str(refused.value)


@pytest.mark.parametrize(
    ("username", "fault"),
    [
        ("67890", "'67890' (no letter: all digits is a page id)"),
        ("", "'' (0 characters)"),
        ("abc", "'abc' (3 characters)"),
        ("shop.com", "'shop.com' (ends in .com)"),
        ("my shop", "'my shop' (' ' at character 3)"),
        (" acmebakery", "' acmebakery' (leading or trailing whitespace)"),
        ("a" * 70, "'" + "a" * 60 + "'… (70 characters)"),
        (
            "acmé.bakery",
            "'acmé.bakery' ('é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE) at character 4)",
        ),
    ],
)
def test_a_refused_username_says_which_part_of_the_rule_it_broke(username: str, fault: str) -> None:
    """As a refused page or ref does (`pages set --username`): the rule, and which part of it
    the value broke, a long value quoted in part and marked as cut."""
    with pytest.raises(ValidationError) as refused:
        links.check_username(username)
    assert str(refused.value) == f"invalid username {fault}: {links.USERNAME_RULE}"


@pytest.mark.parametrize(
    ("page", "ok"),
    [
        ("acmebakery", True),
        ("acme.bakery", True),
        ("1122334455667788", True),
        ("acme", False),
        ("acme_bakery", False),
        ("acme bakery", False),
        ("", False),
        (".....", False),
        ("acmebakery.com", False),
        ("a" * 51, False),
        ("a" * 50, True),
        ("acme2024", True),
        ("0", False),
        ("0123456", False),
        ("00000", False),
        ("1", True),
        ("0acme", True),
    ],
    ids=[
        "username",
        "periods",
        "numeric-id",
        "too-short",
        "underscore",
        "space",
        "empty",
        "no-letter",
        "extension",
        "too-long",
        "longest",
        "letters-and-digits",
        "zero",
        "id-with-leading-zero",
        "zeros",
        "one",
        "username-starting-with-0",
    ],
)
def test_page_rule(page: str, ok: bool) -> None:
    if ok:
        assert links.check_page(page) == page
    else:
        with pytest.raises(ValidationError, match="5 to 50 ASCII letters, digits and periods"):
            links.check_page(page)


@pytest.mark.parametrize(
    ("name", "kept"),
    [("a....", 1), ("a....b", 2), ("ab.c.d", 4), ("abcd.", 4), (".acme", 4), ("a...b...c...d", 4)],
)
def test_periods_do_not_count_among_a_usernames_5_characters(name: str, kept: int) -> None:
    """Facebook counts no period as part of a username ('a....' is the username 'a'): the 5 it
    asks for at least are letters and digits, as a page and as `pages set --username`."""
    fault = f"({kept} letter{'s or digits' if kept > 1 else ' or digit'}: periods do not count)"
    with pytest.raises(ValidationError) as refused:
        links.check_page(name)
    assert str(refused.value) == f"invalid page {name!r} {fault}: {link_rules.PAGE_RULE}"
    with pytest.raises(ValidationError) as refused:
        links.check_username(name)
    assert str(refused.value) == f"invalid username {name!r} {fault}: {links.USERNAME_RULE}"
    assert "at least 5 letters or digits" in link_rules.PAGE_RULE


@pytest.mark.parametrize("name", ["a.b.c.d.e", "acme.bakery", "..abcde..", "ab.cd.e"])
def test_five_letters_or_digits_with_periods_between_them_are_a_username(name: str) -> None:
    assert links.check_page(name) == name
    assert links.check_username(name) == name


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.example",
        "https://x y.example",
        "example.org",
        "https://x.example/?a=1",
        "https://",
        # An empty query or fragment still cuts the link: /r/<ref> would follow '#' or '?'.
        "https://x.example/#",
        "https://x.example/?",
        # A port no server can listen on, and a host urlsplit cannot read (no traceback).
        "https://x.example:99999",
        "https://x.example:abc",
        "https://x.example:",
        "https://x.example:0",
        "http://[::1",
    ],
)
def test_a_redirect_address_must_be_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValidationError, match="invalid redirect address"):
        links.make_link("acmebakery", "spring", base_url=url)
    link = links.make_link("acmebakery", "spring", base_url="https://go.example:8443/x")
    assert link.url == "https://go.example:8443/x/r/spring?page=acmebakery&qr=0"


def test_a_campaign_with_nothing_to_build_a_ref_from_says_so() -> None:
    with pytest.raises(ValidationError, match="cannot build a ref from '日本': .* give a ref"):
        links.make_link("acmebakery", campaign="日本")


def test_ref_from_the_naming_convention() -> None:
    link = links.make_link(
        "acmebakery", None, "qr", "Spring Sale", "Store #12", today=dt.date(2026, 3, 14)
    )
    assert link.ref == "spring_sale-store_12-2026_03"
    assert link.url == "https://m.me/acmebakery?ref=spring_sale-store_12-2026_03"
    assert link.channel == "qr_code"
    with pytest.raises(ValidationError, match="campaign"):
        links.make_link("acmebakery", None, "link")


def test_a_long_campaign_is_shortened_and_keeps_placement_and_month() -> None:
    month = dt.date(2026, 3, 1)
    window = links.conventional_ref("spring " * 60, "window", month)
    counter = links.conventional_ref("spring " * 60, "counter", month)
    assert window != counter
    assert len(window) == len(counter) == 250
    assert window.startswith("spring_spring") and window.endswith("_spri-window-2026_03")
    assert counter.endswith("-counter-2026_03")
    # A placement that fills the room before the month leaves none for the campaign.
    longest = links.conventional_ref("spring", "x" * 242, month)
    assert longest == "x" * 242 + "-2026_03"


@pytest.mark.parametrize("campaign", [None, "spring"])
def test_a_placement_too_long_for_a_ref_is_refused_not_cut(campaign: str | None) -> None:
    """Cut, two long placements could share a ref: the rule is said instead."""
    with pytest.raises(ValidationError, match=r"placement makes 243 characters.*at most 250"):
        links.conventional_ref(campaign, "x" * 243, dt.date(2026, 3, 1))


def test_a_shared_ref_too_long_for_a_file_name_is_named_by_its_start_and_a_hash() -> None:
    ref = "L" * 250
    pages = ["acmeshop", "acme.shop.long.username.example"]
    names = links.code_names([links.make_link(p, ref, "qr") for p in pages] +
                             [links.make_link("acmeshop", "L" * 249 + "M", "qr"),
                              links.make_link("otherpage", "L" * 249 + "M", "qr")])  # fmt: skip
    assert len(set(names)) == 4
    for name, page in zip(names, [*pages, "acmeshop", "otherpage"], strict=True):
        assert len(f"{name}.png".encode()) <= 255
        assert name.startswith("L" * 200) and name.endswith(f".{page}") and "~" in name
    short = links.code_names([links.make_link(p, "window", "qr") for p in pages])
    assert short == [f"window.{p}" for p in pages]


@pytest.mark.parametrize(
    "page",
    ["ſhopſ1", "\u212aelvinshop", "café.shop", "shop\uff11234"],
    ids=["long-s", "kelvin-sign", "accent", "fullwidth-digit"],
)
def test_a_page_username_is_ascii(page: str) -> None:
    with pytest.raises(ValidationError, match="5 to 50 ASCII letters, digits and periods"):
        links.check_page(page)


def test_the_m_me_url_carries_the_ref_url_encoded() -> None:
    # Meta: the ref "must be URL-encoded"; of the ref characters only '=' changes.
    link = links.make_link("acmebakery", "utm=spring-2026_03")
    assert link.url == "https://m.me/acmebakery?ref=utm%3Dspring-2026_03"


@pytest.mark.parametrize(
    ("page", "ref", "message"),
    [
        ("acmebakery", " spring", "invalid ref ' spring' (leading or trailing whitespace)"),
        ("acmebakery", "spring\t", "invalid ref 'spring\\t' (leading or trailing whitespace)"),
        ("acmebakery", "   ", "invalid ref '   ' (only whitespace)"),
        (" acmebakery ", "spring", "invalid page ' acmebakery ' (leading or trailing whitespace)"),
        ("1122334455667788\n", "spring", "invalid page '1122334455667788\\n' (leading or"),
    ],
    ids=["ref-leading", "ref-trailing-tab", "ref-only-spaces", "page-both", "page-id-newline"],
)
def test_a_page_or_ref_with_surrounding_whitespace_is_refused_not_stripped(
    page: str, ref: str, message: str
) -> None:
    """make_link stripped them: the link registered was not the one given."""
    with pytest.raises(ValidationError) as refused:
        links.make_link(page, ref, campaign="spring", placement="window")
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:s3cret@go.example", "https://…@go.example"),
        ("https://user@go.example:8443/x", "https://…@go.example:8443/x"),
        ("https://@go.example", "https://…@go.example"),
        ("http://a:s3cret@b:s3cret@go.example/r", "http://…@go.example/r"),
        ("https://user:s3cret@go.example/?a=1", "https://…@go.example/?a=1"),
        ("https://user:s3cret@[::1", "https://…@[::1"),
    ],
    ids=["user-password", "user-port-path", "empty-userinfo", "two-ats", "with-query", "bad-host"],
)
def test_a_redirect_address_with_credentials_is_refused_without_repeating_them(
    url: str, shown: str
) -> None:
    """user:password@host was accepted and put in every link and printed code."""
    with pytest.raises(ValidationError) as refused:
        links.make_link("acmebakery", "spring", "qr", base_url=url)
    message = str(refused.value)
    assert message.startswith(
        f"invalid redirect address {shown!r} (a user name or password before '@'): a redirect "
        "address holds no user name or password"
    )
    assert "s3cret" not in message and "user" not in message.split("(", 1)[0]


@pytest.mark.parametrize("url", ["//user:s3cret@go.example", "user:s3cret@go.example",
                                 " https://user:s3cret@go.example"])  # fmt: skip
def test_no_refused_redirect_address_repeats_a_password(url: str) -> None:
    with pytest.raises(ValidationError, match="invalid redirect address") as refused:
        links.make_link("acmebakery", "spring", base_url=url)
    assert "s3cret" not in str(refused.value)


def test_an_at_sign_in_a_redirect_path_is_no_credential() -> None:
    link = links.make_link("acmebakery", "spring", base_url="https://go.example/team@shop")
    assert link.url == "https://go.example/team@shop/r/spring?page=acmebakery&qr=0"
