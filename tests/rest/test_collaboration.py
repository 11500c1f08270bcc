"""The REST API's comments and notifications: read with any key, post with a read-write key,
visibility and tenancy as in the app."""

from __future__ import annotations

from tests.collaboration.helpers import mention, post, world
from tests.rest.helpers import bearer, client, make_key


def test_read_a_thread_and_post_a_reply_with_a_read_write_key(org_a):
    w = world(org_a)
    first = post(w.ann, "initiative", w.initiative, "Why now?")
    _id, read_key = make_key(w.owner, "read")
    _id, write_key = make_key(w.owner, "read_write", name="Bot")
    api = client()
    got = api.get(
        "/api/v1/comments",
        params={"target_kind": "initiative", "target_id": w.initiative},
        headers=bearer(read_key),
    )
    assert got.status_code == 200
    [top] = got.json()
    assert top["id"] == first and top["author_name"] == "Ann Able" and top["replies"] == []
    payload = {
        "target_kind": "initiative",
        "target_id": w.initiative,
        "body": f"Because {mention(w.ann)}",
        "parent_id": first,
    }
    refused = api.post("/api/v1/comments", json=payload, headers=bearer(read_key))
    assert refused.status_code == 403
    created = api.post("/api/v1/comments", json=payload, headers=bearer(write_key))
    assert created.status_code == 201, created.text
    assert created.json()["parent_id"] == first
    assert "<strong>@Ann Able</strong>" in created.json()["html"]
    _id, ann_key = make_key(w.owner, "read", name="Ann's", role="member")
    del ann_key  # a key acts for its creator: the owner's notifications
    owner_notes = api.get("/api/v1/notifications", headers=bearer(read_key))
    assert owner_notes.status_code == 200 and owner_notes.json() == []


def test_visibility_bad_input_and_the_other_organisation(org_a, org_b):
    w = world(org_a)
    post(w.coach, "coaching_plan", w.plan_b, "Team B only")
    _id, member_key = make_key(w.owner, "read_write", role="member")
    _id, other_key = make_key(org_b, "read_write")
    api = client()
    hidden = {"target_kind": "coaching_plan", "target_id": w.plan_b}
    # The key acts for its creator (the owner) with role member: not in team B.
    assert api.get("/api/v1/comments", params=hidden, headers=bearer(member_key)).status_code == 404
    assert api.get("/api/v1/comments", params=hidden, headers=bearer(other_key)).status_code == 404
    theirs = {"target_kind": "initiative", "target_id": w.initiative, "body": "hi"}
    assert api.post("/api/v1/comments", json=theirs, headers=bearer(other_key)).status_code == 404
    bad = api.get(
        "/api/v1/comments",
        params={"target_kind": "nope", "target_id": "x"},
        headers=bearer(member_key),
    )
    assert bad.status_code == 422
    extra = {**theirs, "author_id": 1}
    assert api.post("/api/v1/comments", json=extra, headers=bearer(member_key)).status_code == 422
