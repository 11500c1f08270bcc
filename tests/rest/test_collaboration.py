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
    url = f"/api/v1/initiatives/{w.initiative}/comments"
    got = api.get(url, headers=bearer(read_key))
    assert got.status_code == 200
    [top] = got.json()
    assert top["id"] == first and top["author_name"] == "Ann Able" and top["replies"] == []
    payload = {"body": f"Because {mention(w.ann)}", "parent_id": first}
    refused = api.post(url, json=payload, headers=bearer(read_key))
    assert refused.status_code == 403
    created = api.post(url, json=payload, headers=bearer(write_key))
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
    hidden = f"/api/v1/coaching/plans/{w.plan_b}/comments"
    # The key acts for its creator (the owner) with role member: not in team B.
    assert api.get(hidden, headers=bearer(member_key)).status_code == 404
    assert api.post(hidden, json={"body": "x"}, headers=bearer(member_key)).status_code == 404
    assert api.get(hidden, headers=bearer(other_key)).status_code == 404
    url = f"/api/v1/initiatives/{w.initiative}/comments"
    assert api.post(url, json={"body": "hi"}, headers=bearer(other_key)).status_code == 404
    extra = {"body": "hi", "author_id": 1}
    assert api.post(url, json=extra, headers=bearer(member_key)).status_code == 422
    assert api.post(url, json={"body": 5}, headers=bearer(member_key)).status_code == 422
    assert api.get("/api/v1/notifications", headers=bearer(other_key)).json() == []
