"""Page feed change fixtures (bottender-facebook, jgorset/facebook-messenger) as log lines,
with the rows refscope must store."""

from __future__ import annotations

from tests.ingest.public_fixtures import Json, ev, feed, s

# ---------------------------------------------------------------------------------------------
# Page feed changes: Yoctol/bottender packages/bottender-facebook/src/__tests__/
# FacebookEvent.spec.ts (keys back in snake_case) and jgorset/facebook-messenger
# spec/facebook/messenger/incoming/feed_spec.rb, each in an entry of the page its post_id
# names, `time` in seconds. A commenter's from.id is kept as commenter_id, never as a PSID.
F_PAGE, F_FROM = "137542570280222", "139560936744123"
F_POST = "137542570280222_139560936744456"

# fmt: off
FEED: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # statusAdd: a post, not a comment
    "bottender-facebook/status_add": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "status",
                      "post_id": "137542570280222_139610053406744", "verb": "add",
                      "published": 1, "created_time": 1511949030, "message": "test"}),
        [ev(kind="other", detail="feed.status", page_id=F_PAGE, ts=s(1511949030),
            text_length=4, post_id="137542570280222_139610053406744", commenter_id=F_FROM)],
        [],
    ),
    # postRemove
    "bottender-facebook/post_remove": (
        feed(F_PAGE, {"recipient_id": F_PAGE, "from": {"id": F_FROM}, "item": "post",
                      "post_id": "137542570280222_139610053406744", "verb": "remove",
                      "created_time": 1511949068}),
        [ev(kind="other", detail="feed.post", page_id=F_PAGE, ts=s(1511949068),
            post_id="137542570280222_139610053406744", commenter_id=F_FROM)],
        [],
    ),
    # commentAdd: a reply to a comment (parent_id is a comment)
    "bottender-facebook/comment_add": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "comment",
                      "comment_id": "139560936744456_139620233405726", "post_id": F_POST,
                      "verb": "add", "parent_id": "139560936744456_139562213411528",
                      "created_time": 1511951015, "message": "Good"}),
        [ev(kind="comment", detail="add", page_id=F_PAGE, ts=s(1511951015), text_length=4,
            post_id=F_POST, comment_id="139560936744456_139620233405726", commenter_id=F_FROM)],
        [],
    ),
    # commentEdited
    "bottender-facebook/comment_edited": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "comment",
                      "comment_id": "139560936744456_139597043408045", "post_id": F_POST,
                      "verb": "edited", "parent_id": F_POST, "created_time": 1511948891,
                      "message": "Great"}),
        [ev(kind="comment", detail="edited", page_id=F_PAGE, ts=s(1511948891), text_length=5,
            post_id=F_POST, comment_id="139560936744456_139597043408045", commenter_id=F_FROM)],
        [],
    ),
    # commentRemove: no message
    "bottender-facebook/comment_remove": (
        feed(F_PAGE, {"from": {"id": F_FROM}, "parent_id": F_POST,
                      "comment_id": "139560936744456_139597043408045", "post_id": F_POST,
                      "verb": "remove", "item": "comment", "created_time": 1511948944}),
        [ev(kind="comment", detail="remove", page_id=F_PAGE, ts=s(1511948944), post_id=F_POST,
            comment_id="139560936744456_139597043408045", commenter_id=F_FROM)],
        [],
    ),
    # reactionAdd: a reaction to a comment
    "bottender-facebook/reaction_add": (
        feed(F_PAGE, {"reaction_type": "like", "from": {"id": F_FROM},
                      "parent_id": "139560936744456_139597043408045",
                      "comment_id": "139560936744456_139597090074707", "post_id": F_POST,
                      "verb": "add", "item": "reaction", "created_time": 1511948636}),
        [ev(kind="other", detail="feed.reaction", page_id=F_PAGE, ts=s(1511948636),
            post_id=F_POST, comment_id="139560936744456_139597090074707", commenter_id=F_FROM)],
        [],
    ),
    # sentByPage: the page's own public reply keeps the page id as its commenter
    "bottender-facebook/sent_by_page": (
        feed("137542570280111", {"from": {"id": "137542570280111", "name": "Bottender"},
                                 "item": "comment",
                                 "comment_id": "139560936755999_140077616693321",
                                 "post_id": "137542570280111_139560936755999", "verb": "add",
                                 "parent_id": "139560936755999_140077593359990",
                                 "created_time": 1512121727, "message": "Public reply!"}),
        [ev(kind="comment", detail="add", page_id="137542570280111", ts=s(1512121727),
            text_length=13, post_id="137542570280111_139560936755999",
            comment_id="139560936755999_140077616693321", commenter_id="137542570280111")],
        [],
    ),
    # videoCommentAdd: a top-level comment with its post object
    "bottender-facebook/video_comment_add": (
        feed(F_PAGE, {"from": {"id": "1440971912666228", "name": "Hsuan-Yih Shawn Chu"},
                      "item": "comment", "comment_id": "139560936755999_140077616693321",
                      "post_id": F_POST, "verb": "add", "parent_id": F_POST,
                      "created_time": 1545829217,
                      "post": {"type": "video", "updated_time": "2018-12-26T13:00:17+0000",
                               "promotion_status": "inactive",
                               "permalink_url": "https://www.facebook.com/xxx/posts/1111",
                               "id": F_POST, "status_type": "added_video",
                               "is_published": True},
                      "message": "100"}),
        [ev(kind="comment", detail="add", page_id=F_PAGE, ts=s(1545829217), text_length=3,
            post_id=F_POST, comment_id="139560936755999_140077616693321",
            commenter_id="1440971912666228")],
        [],
    ),
    # jgorset/facebook-messenger spec/facebook/messenger/incoming/feed_spec.rb
    "facebook-messenger/feed_status": (
        feed("100518329516574", {"from": {"id": "100518329516574", "name": "Vit Service"},
                                 "message": "post 8",
                                 "post_id": "100518329516574_194260390126069",
                                 "created_time": 1682963527, "item": "status", "published": 1,
                                 "verb": "add"}),
        [ev(kind="other", detail="feed.status", page_id="100518329516574", ts=s(1682963527),
            text_length=6, post_id="100518329516574_194260390126069",
            commenter_id="100518329516574")],
        [],
    ),
}

# fmt: on
