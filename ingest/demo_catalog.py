"""The demo's world, as data: its two pages, the refs on their links and QR codes, their ads, the
texts people and pages write, and the dated platform facts the demo generator follows."""

from __future__ import annotations

import datetime as dt

Date = dt.date

# --- the catalogue ------------------------------------------------------------------------------

#: (page_id, username, display name)
PAGES: list[tuple[str, str, str]] = [
    ("1122334455667788", "acmebakery", "Acme Bakery"),
    ("203948571620394", "northwindcoffee", "Northwind Coffee"),
]
ACME, NORTHWIND = PAGES[0][0], PAGES[1][0]
PAGE_IDS = [page for page, _, _ in PAGES]
#: The demo receiver's part of its log file names, as `refscope serve` names them
#: (`receiver.writer_id`, <host>-<pid>-<run>): webhooks-YYYY-MM-DD.demo-1.ndjson, clicks-....
RECEIVER_WRITER = "demo-1"

#: Refs printed on QR codes; QR codes are plain m.me SHORTLINK referrals, told apart only by ref.
#: https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
QR_REFS: dict[str, tuple[str, ...]] = {
    ACME: ("qr_store12_window", "qr_store12_counter", "qr_flyer_spring", "qr_receipt"),
    NORTHWIND: ("qr_cup_sleeve", "qr_table_tent", "qr_flyer_spring"),
}
#: Plain m.me link refs; the newsletter adds `NEWSLETTER_REF` for the week it went out.
LINK_REFS: dict[str, tuple[str, ...]] = {
    ACME: ("bio_link", "site_footer", "email_signature"),
    NORTHWIND: ("bio_link", "site_footer", "loyalty_email"),
}
NEWSLETTER_REF = "newsletter_{year}_w{week:02d}"  # ISO year and week of the Tuesday send

#: Click-to-Messenger ads: (ad_id, page_id, title, first day, last day or None = still running).
ADS: list[tuple[str, str, str, Date, Date | None]] = [
    ("23843301927710456", ACME, "Fresh sourdough every morning", Date(2019, 3, 1), None),
    ("23847733001122334", ACME, "Cinnamon bun week", Date(2021, 10, 1), Date(2021, 10, 10)),
    ("23851190457712345", ACME, "Christmas pre-orders", Date(2023, 11, 20), Date(2023, 12, 22)),
    ("120208765432109876", ACME, "Spring croissant launch", Date(2025, 3, 10), Date(2025, 4, 20)),
    (
        "120210987654321098",
        ACME,
        "Christmas pre-orders 2025",
        Date(2025, 11, 17),
        Date(2025, 12, 21),
    ),
    ("120213456789012345", ACME, "Semlor \u00e4r h\u00e4r!", Date(2026, 1, 19), Date(2026, 2, 17)),
    ("120215678901234567", ACME, "Autumn catering menu", Date(2026, 10, 5), Date(2026, 12, 20)),
    ("23846598765432101", NORTHWIND, "Your first flat white is on us", Date(2019, 6, 1), None),
    ("23850011223344556", NORTHWIND, "Cold brew summer", Date(2023, 6, 1), Date(2023, 8, 31)),
    (
        "120209876543210987",
        NORTHWIND,
        "Pumpkin spice is back",
        Date(2025, 9, 15),
        Date(2025, 11, 10),
    ),
    (
        "120212345678901234",
        NORTHWIND,
        "Cold brew summer 2026",
        Date(2026, 5, 25),
        Date(2026, 8, 31),
    ),
    ("120216789012345678", NORTHWIND, "Loyalty card launch", Date(2026, 11, 2), Date(2026, 11, 29)),
]
#: Ads whose link carries a ref (most CTM ads have none).
AD_REFS = {"120208765432109876": "spring_croissant", "120212345678901234": "coldbrew26"}
#: Product ads: the catalogue product each shows, its referral's `ads_context_data.product_id`
#: (the loaf runs on every day the demo covers, so its Overview shows new contacts per product).
#: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_referrals
AD_PRODUCTS = {"23843301927710456": "6518204937716042", "120210987654321098": "7302619458830127"}

SITES = {ACME: "https://www.acmebakery.example", NORTHWIND: "https://www.northwindcoffee.example"}
SITE_PATHS = ("/", "/", "/menu", "/order", "/contact", "/catering")
PLUGIN_REFS = ("menu_page", "order_help", "footer_widget")
UNKNOWN_SOURCES = ("IGME-SOURCE-LINK", "SHORTLINKS")  # treat source as opaque (see README)

APP_ID = 1517409368591812  # our app; echoes carry app_id as a number
# https://developers.secure.facebook.com/docs/messenger-platform/reference/handover-protocol
PAGE_INBOX_APP_ID = 263902037430900

# Dated platform facts the generator follows.
MESSENGER_CODE_UNTIL = Date(2019, 8, 15)  # camera stopped scanning Messenger Codes
DISCOVER_TAB_UNTIL = Date(2020, 3, 1)  # Discover tab removed around Feb-Mar 2020
PLUGIN_USER_REF_SINCE = Date(2020, 11, 2)  # chat plugin sends sender.user_ref, not a PSID
POSTBACK_MID_SINCE = Date(2021, 6, 8)  # postback.mid added in v11.0
GUEST_MODE_UNTIL = Date(2023, 1, 1)  # ASSUMPTION: guest mode ended "before" the shutdown
OPTIN_FREQUENCY_UNTIL = Date(2023, 2, 2)  # notification_messages_frequency removed in v16
PLUGIN_SHUTDOWN = Date(
    2024, 5, 9
)  # https://developers.facebook.com/docs/messenger-platform/discovery/facebook-chat-plugin
STICKER_ONLY_SINCE = Date(2026, 8, 30)  # before: a sticker arrives as image + sticker

# --- texts --------------------------------------------------------------------------------------

USER_TEXTS = {
    ACME: (
        "Hi! Are you open on Sunday?",
        "Do you have gluten-free bread?",
        "Can I pre-order a birthday cake for Saturday?",
        "How much is the sourdough loaf?",
        "Hej! Finns det glutenfria bullar? \U0001f950",
        "Ich h\u00e4tte gern zwei Zimtschnecken \U0001f60a",
        "Onko teill\u00e4 laktoositonta leip\u00e4\u00e4?",
        "Is the croissant vegan?",
        "Can I pick up at 7am?",
    ),
    NORTHWIND: (
        "Do you have oat milk?",
        "What time do you close today?",
        "Is there wifi at the caf\u00e9?",
        "Can I book a table for 6?",
        "Merci ! \u00c0 quelle heure ouvrez-vous ? \u2615",
        "\u00bfTienen caf\u00e9 descafeinado?",
        "Do you sell beans by the kilo?",
        "My loyalty card is full \U0001f389",
    ),
}
SMALL_TALK = (
    "ok",
    "Thanks!",
    "Great, see you then",
    "Tack s\u00e5 mycket! \u2764\ufe0f",
    "\U0001f44d",
    "Perfect \U0001f64c",
    "Kiitos! \u00e4\u00f6\u00e5",
    "and the price?",
    "hello??",
)
AD_OPENERS = ("Is this still available?", "Can I order for pickup?", "Tell me more \U0001f440")
PAGE_TEXTS = (
    "Thanks for your message! \U0001f60a How can we help?",
    "We are open 7-18 on weekdays and 8-15 on weekends.",
    "Yes! You can order here: https://example.com/order",
    "Of course, we'll have it ready for you.",
    "Let me check with the team and get back to you.",
    "Sure \u2013 see you soon! \u2615",
)
WELCOME = "Hi and welcome! \U0001f44b Pick a topic below or just type your question."
CHECKBOX_CONFIRMATION = "Thanks for your order! We'll message you here when it's ready for pickup."
HANDOFF = "Connecting you with a person from our team \u2013 one moment."
PRIVATE_REPLIES = (
    "Hi! Thanks for your comment \U0001f60a Here are the details you asked for.",
    "Thanks for commenting! We've sent you the price list here.",
    "Hej! Thanks for asking \u2013 here is the link to order.",
)
COMMENTS = (
    "How much?",
    "Price please \U0001f64f",
    "Do you deliver?",
    "PM me the details",
    "Looks delicious \U0001f60d",
    "Is this available tomorrow?",
    "Wow! \u00e4lskar det",
    "info",
)
PAGE_POSTS = (
    "New in store today! \U0001f950",
    "Weekend opening hours \u2193",
    "Comment INFO and we'll message you the details",
    "Thank you for 10k followers \u2764\ufe0f",
)
NAMES = (
    "Maja Lindqvist",
    "J\u00f6rg M\u00fcller",
    "Aino M\u00e4kinen",
    "Sam Carter",
    "Lucia Fern\u00e1ndez",
    "Olle Str\u00f6m",
    "Priya Nair",
    "Chloe Martin",
)
#: quick reply payload -> the title the user taps
QUICK_REPLIES = {
    "HOURS": "Opening hours",
    "MENU": "See the menu",
    "ORDER": "Place an order",
    "LOCATION": "Where are you?",
    "TALK_TO_HUMAN": "Talk to a person",
}
REACTIONS = (
    ("love", "\u2764"),
    ("like", "\U0001f44d"),
    ("laugh", "\U0001f606"),
    ("wow", "\U0001f62e"),
)
LIKE_STICKER_ID = 369239263222822
