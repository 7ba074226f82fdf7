-- refscope's public tables: the contract users write SQL against (see README "The SQL contract").
-- Every timestamp is UTC (TIMESTAMP without zone). Columns may be added; names do not change.

-- One row per normalised event (a messaging/standby item, a feed change, a send-log line).
CREATE TABLE IF NOT EXISTS events (
    event_key      UHUGEINT NOT NULL,   -- dedupe key: md5 of (page, kind, mid) or of the normalised event
    page_id        VARCHAR NOT NULL,
    psid           VARCHAR,             -- the contact: PSID, or the chat plugin's user_ref
    is_user_ref    BOOLEAN NOT NULL,    -- psid holds a sender.user_ref, not a PSID
    ts             TIMESTAMP NOT NULL,
    kind           VARCHAR NOT NULL,    -- message, message_echo, postback, referral, optin, delivery,
                                        -- read, reaction, handover, comment, private_reply, other
    detail         VARCHAR,             -- sub-kind: optin type, reaction action, handover type,
                                        -- comment verb (add, edited, remove), field.item of
                                        -- another feed change (feed.reaction, feed.share, …),
                                        -- the unknown key of an `other` item, send_api (a
                                        -- send-log line that is no private reply), no
                                        -- recipient_id (a private reply the Send API gave no
                                        -- PSID), chat_plugin_tag (a message the chat plugin
                                        -- tagged) or shops_product (a message from a Shops
                                        -- product page)
    is_standby     BOOLEAN NOT NULL,    -- arrived in entry[].standby (another app owned the thread)
    channel        VARCHAR,             -- acquisition channel when the event carries a touch
    ref            VARCHAR,
    source         VARCHAR,             -- raw referral source as Meta sent it
    ad_id          VARCHAR,
    ad_title       VARCHAR,
    referer_uri    VARCHAR,             -- the referral's website page; salted: no query or fragment
    is_guest_user  BOOLEAN,
    mid            VARCHAR,
    text           VARCHAR,             -- only with --keep-text / REFSCOPE_KEEP_TEXT
    text_length    INTEGER,             -- characters of the message or comment text
    attachment_types VARCHAR[],
    quick_reply_payload VARCHAR,
    postback_payload VARCHAR,
    app_id         VARCHAR,             -- echoes: the app that sent the message
    watermark_at   TIMESTAMP,           -- delivery / read watermark
    post_id        VARCHAR,
    comment_id     VARCHAR,
    commenter_id   VARCHAR,             -- a comment's from.id: NOT a PSID, never joined to one
    file           VARCHAR NOT NULL,    -- where the event was read (first occurrence)
    line_no        BIGINT NOT NULL,
    run_id         INTEGER NOT NULL,
    product_id     VARCHAR              -- the product the referral named: a Shops product page's
                                        -- message.referral.product.id, or the CTM ad's
                                        -- ads_context_data.product_id (a catalogue id, as sent)
);
-- Databases made before the column existed get it (last, as in a new one).
ALTER TABLE events ADD COLUMN IF NOT EXISTS product_id VARCHAR;

-- Every acquisition touch: a referral (m.me, QR, ad, chat plugin, optin ref) or a private reply.
CREATE TABLE IF NOT EXISTS touches (
    event_key      UHUGEINT NOT NULL,
    page_id        VARCHAR NOT NULL,
    psid           VARCHAR NOT NULL,
    ts             TIMESTAMP NOT NULL,
    via            VARCHAR NOT NULL,    -- the event kind that carried it: postback, message, referral,
                                        -- optin, private_reply, message_echo
    channel        VARCHAR NOT NULL,
    ref            VARCHAR,
    source         VARCHAR,
    ad_id          VARCHAR,
    ad_title       VARCHAR,
    referer_uri    VARCHAR,             -- the referral's website page; salted: no query or fragment
    is_guest_user  BOOLEAN,
    post_id        VARCHAR,
    comment_id     VARCHAR,
    is_first       BOOLEAN NOT NULL,    -- the touch that acquired the contact
    is_reentry     BOOLEAN NOT NULL,    -- another referral after the contact's first action
    product_id     VARCHAR              -- as events.product_id
);
ALTER TABLE touches ADD COLUMN IF NOT EXISTS product_id VARCHAR;

-- One row per (page_id, psid): who came in, through what, and how engaged they are.
CREATE TABLE IF NOT EXISTS contacts (
    page_id            VARCHAR NOT NULL,
    psid               VARCHAR NOT NULL,
    is_user_ref        BOOLEAN NOT NULL,
    first_seen_at      TIMESTAMP NOT NULL, -- first action of the user's own
    channel            VARCHAR NOT NULL,
    ref                VARCHAR,
    source             VARCHAR,
    ad_id              VARCHAR,
    ad_title           VARCHAR,
    referer_uri        VARCHAR,            -- salted: without its query or fragment
    is_guest_user      BOOLEAN,
    post_id            VARCHAR,
    comment_id         VARCHAR,
    first_touch_at     TIMESTAMP,
    first_message_at   TIMESTAMP,          -- first inbound message
    second_message_at  TIMESTAMP,          -- engaged: a second inbound message after the first
    last_message_at    TIMESTAMP,
    message_count      BIGINT NOT NULL,    -- inbound messages
    postback_count     BIGINT NOT NULL,
    reentry_count      BIGINT NOT NULL,
    last_seen_at       TIMESTAMP NOT NULL, -- last action of the user's own
    page_message_count BIGINT NOT NULL,    -- echoes: messages the page sent
    last_read_at       TIMESTAMP,          -- newest read watermark
    page_messages_read BIGINT NOT NULL,    -- echoes sent at or before last_read_at
    product_id         VARCHAR             -- the acquiring touch's, as ref and ad_id are
);
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS product_id VARCHAR;

-- Days on which each contact sent inbound messages: retention without scanning events.
CREATE TABLE IF NOT EXISTS contact_days (
    page_id   VARCHAR NOT NULL,
    psid      VARCHAR NOT NULL,
    day       DATE NOT NULL,
    messages  BIGINT NOT NULL
);

-- Each comment's post, as its feed changes name it (the `add`'s, else the earliest change's):
-- kept by the ingest from `events`, for a reply or contact that names the comment only.
CREATE TABLE IF NOT EXISTS comment_posts (
    comment_id VARCHAR NOT NULL,
    post_id    VARCHAR NOT NULL
);

-- Each private reply the page sent, once: known by its send log (one that went through) or by
-- the page's echo naming the comment, dated by the first. Kept by the ingest from `events`.
CREATE TABLE IF NOT EXISTS replies_sent (
    page_id    VARCHAR NOT NULL,
    comment_id VARCHAR,                 -- the comment replied to; NULL for a visitor post
    post_id    VARCHAR,                 -- as the reply named it (else see comment_posts)
    ts         TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS tracked_links (
    ref         VARCHAR NOT NULL,
    page        VARCHAR NOT NULL,       -- page username or numeric id, as the link was made
    channel     VARCHAR NOT NULL,       -- m_me_link or qr_code
    campaign    VARCHAR,
    placement   VARCHAR,
    notes       VARCHAR,
    url         VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (page, ref)
);

CREATE TABLE IF NOT EXISTS pages (
    page_id   VARCHAR PRIMARY KEY,
    username  VARCHAR,
    name      VARCHAR
);

CREATE TABLE IF NOT EXISTS ad_insights (
    date          DATE NOT NULL,
    ad_id         VARCHAR NOT NULL,
    ad_name       VARCHAR,
    adset_id      VARCHAR,
    adset_name    VARCHAR,
    campaign_id   VARCHAR,
    campaign_name VARCHAR,
    account_id    VARCHAR,
    spend         DOUBLE,
    impressions   BIGINT,
    clicks        BIGINT,
    conversations_started BIGINT,
    actions       JSON,
    cost_per_action_type JSON,
    pulled_at     TIMESTAMP,
    account_currency VARCHAR,           -- the account's (USD, EUR...): one per database
    PRIMARY KEY (date, ad_id)
);
-- Databases made before the column existed get it (last, as in a new one).
ALTER TABLE ad_insights ADD COLUMN IF NOT EXISTS account_currency VARCHAR;

-- The parts an ad_insights row of an insights file adds up (rows broken down by platform,
-- age...), kept so that parts of the day and ad read later (another page of the answer) add to
-- them; a row of no parts keeps none. Parts older than their row are no longer its own.
CREATE TABLE IF NOT EXISTS ad_insight_parts (
    date       DATE NOT NULL,
    ad_id      VARCHAR NOT NULL,
    breakdown  VARCHAR NOT NULL,         -- JSON: [[breakdown, value], ...], as read
    part       JSON NOT NULL,            -- the part as one insights row
    pulled_at  TIMESTAMP NOT NULL
);

-- Each `refscope pull ads`: the account and the days it asked for. Meta leaves out a day and ad
-- with no delivery, so these (not the days ad_insights holds) say which days the spend covers.
CREATE TABLE IF NOT EXISTS ad_pulls (
    account_id VARCHAR NOT NULL,
    since      DATE NOT NULL,
    until      DATE NOT NULL,
    pulled_at  TIMESTAMP NOT NULL
);

-- Scans and clicks of tracked links, from the receiver's click log (GET /r/<ref>).
CREATE TABLE IF NOT EXISTS clicks (
    click_key   UHUGEINT NOT NULL,      -- md5 of (file without .gz, raw, which copy of raw in it)
    ts          TIMESTAMP NOT NULL,
    ref         VARCHAR NOT NULL,
    page        VARCHAR,                -- the page as the link was registered
    qr          BOOLEAN NOT NULL,       -- came through a QR code (?qr=1)
    device      VARCHAR,                -- mobile, tablet, desktop, bot or other
    file        VARCHAR NOT NULL,
    line_no     BIGINT NOT NULL,
    run_id      INTEGER NOT NULL
);

-- Click logs by their content: the md5 of a log's first line (not blank) and the name, without
-- `.gz`, it was first read under. A file starting alike is that log under another name (rotated,
-- moved, gzipped): its clicks are keyed under that first name, not counted again.
CREATE TABLE IF NOT EXISTS click_logs (
    head        UHUGEINT NOT NULL,
    log         VARCHAR NOT NULL
);

-- Every line that did not become events, with why and its raw text.
CREATE TABLE IF NOT EXISTS rejects (
    reject_key  UHUGEINT NOT NULL,      -- md5 of (file, line_no): a re-read adds no copy
    file        VARCHAR NOT NULL,
    line_no     BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR NOT NULL,
    run_id      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id        INTEGER PRIMARY KEY,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,              -- NULL while the run loads, or after it was killed: the next run resumes it
    files_read    BIGINT,
    bytes_read    BIGINT,
    lines_read    BIGINT,
    events_parsed BIGINT,
    events_added  BIGINT,
    duplicates    BIGINT,
    rejects_added BIGINT,
    new_contacts  BIGINT,
    seconds       DOUBLE,
    events_left_out BIGINT,             -- read, not stored: forgotten people's and pruned days'
    insights_added BIGINT,              -- ad_insights rows stored from insights lines
    insights_not_newer BIGINT,          -- their rows not stored: as new or newer ones held
    clicks_read   BIGINT,               -- click lines read, stored or already held
    rejects_left_out BIGINT             -- rejected lines dated before the latest prune, not stored
);

-- Databases made before the columns existed get them.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS events_left_out BIGINT;
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS insights_added BIGINT;
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS insights_not_newer BIGINT;
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS clicks_read BIGINT;
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS rejects_left_out BIGINT;

-- People removed with `refscope forget`: later ingests leave them out.
CREATE TABLE IF NOT EXISTS forgotten (
    id_hash      VARCHAR NOT NULL,      -- sha256 of the id as stored (never the id)
    page_id      VARCHAR,               -- NULL: on every page
    forgotten_at TIMESTAMP NOT NULL
);

-- How the ids are stored: `plain`, or `salted:` and a keyed hash of a fixed text under
-- REFSCOPE_ID_SALT (never the salt itself). A run under another salt is refused.
CREATE TABLE IF NOT EXISTS id_scheme (
    scheme       VARCHAR NOT NULL
);

-- The id of this database, made at its first lake sync: the lake's manifest names it as the
-- lake's owner, and a sync from another database is refused (lake_owner.py). Carried over by
-- `refscope rebuild`.
CREATE TABLE IF NOT EXISTS database_id (
    id       VARCHAR NOT NULL,
    made_at  TIMESTAMP NOT NULL
);

-- Each `refscope prune`: events before the latest one's date are left out of later ingests.
CREATE TABLE IF NOT EXISTS prunes (
    before     DATE NOT NULL,
    pruned_at  TIMESTAMP NOT NULL
);

-- What `refscope prune` took from contacts it kept: their acquisition as it stood, and tallies
-- of their removed events, so that a later run rebuilds them as if nothing had been removed.
CREATE TABLE IF NOT EXISTS contact_history (
    page_id            VARCHAR NOT NULL,
    psid               VARCHAR NOT NULL,
    is_user_ref        BOOLEAN NOT NULL,
    first_seen_at      TIMESTAMP,
    acquired           BOOLEAN NOT NULL,   -- its conversation had opened: the acquisition is final
    channel            VARCHAR,            -- the acquisition as it stood, when final
    ref                VARCHAR,
    source             VARCHAR,
    ad_id              VARCHAR,
    ad_title           VARCHAR,
    referer_uri        VARCHAR,            -- salted: without its query or fragment
    is_guest_user      BOOLEAN,
    post_id            VARCHAR,
    comment_id         VARCHAR,
    first_touch_at     TIMESTAMP,
    first_message_at   TIMESTAMP,          -- the removed events' tallies from here on
    second_message_at  TIMESTAMP,
    last_message_at    TIMESTAMP,
    message_count      BIGINT NOT NULL,
    postback_count     BIGINT NOT NULL,
    reentry_count      BIGINT NOT NULL,
    last_seen_at       TIMESTAMP,
    page_message_count BIGINT NOT NULL,
    last_read_at       TIMESTAMP,
    page_messages_read BIGINT NOT NULL,
    unread_echo_times  TIMESTAMP[],        -- removed echoes no removed read reached
    -- The latest removed touch (a message the chat plugin only tagged aside), which the first
    -- message after it may repeat (one click reported twice, attribute.py).
    -- Its source (SHORTLINK, MESSENGER_CODE...) tells a relabel whether its ref's registration
    -- decides its channel, as a live touch's does.
    last_touch         STRUCT(ts TIMESTAMP, channel VARCHAR, ad_id VARCHAR, ref VARCHAR,
                              source VARCHAR),
    product_id         VARCHAR             -- of the acquisition as it stood, when final
);
-- Databases made before the column existed get it (last, as in a new one); those made before
-- its source, that field (migrations.py).
ALTER TABLE contact_history ADD COLUMN IF NOT EXISTS
    last_touch STRUCT(ts TIMESTAMP, channel VARCHAR, ad_id VARCHAR, ref VARCHAR, source VARCHAR);
ALTER TABLE contact_history ADD COLUMN IF NOT EXISTS product_id VARCHAR;

-- How far each input has been read; lets a run read only new bytes.
CREATE TABLE IF NOT EXISTS ingest_files (
    path        VARCHAR NOT NULL,
    size        BIGINT NOT NULL,        -- bytes on disk when last read
    mtime_ns    BIGINT NOT NULL,
    head_hash   VARCHAR NOT NULL,       -- md5s of the first 4 KiB and of the 4 KiB before
                                        -- offset_done: a replaced file is read anew
    offset_done BIGINT NOT NULL,        -- (uncompressed) bytes consumed, ending at a newline
    lines_done  BIGINT NOT NULL,
    run_id      INTEGER NOT NULL
);
