"""The foundation journey in a real browser against the production build.

Sign up an organisation, verify the address from the mail the loopback SMTP peer received,
sign in, create a team, invite a member, see the outbox keep its link masked, open the
invitation from the mail SMTP delivered, join as that member, and find the admin pages
refused; all the while, nothing secret reaches the browser.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, WebSocket, expect
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity.models import Membership, User, UserSession
from tests.peers import smtp

PASSWORD = "a-long-secret-pass-42"
MEMBER_PASSWORD = "member-secret-pass-77"


class FrameRecorder:
    """Everything the server sends the browser over the websocket (all state deltas)."""

    def __init__(self, page: Page) -> None:
        self.frames: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(str(payload)))

    def text(self) -> str:
        return "\n".join(self.frames)


VERIFY_SUBJECT = "Verify your email for pmo_saas"
OWNER = "jo@journey.example"


def _sign_in(page: Page, base_url: str, next_path: str = "") -> None:
    if next_path:
        page.goto(f"{base_url}/signin?next={next_path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_up(page: Page, base_url: str, *, look_before_verifying: bool = False) -> str:
    """Sign up, open the verification link from the mail, and arrive signed in."""
    already = len(smtp.wait_for(0, subject=VERIFY_SUBJECT))  # from earlier tests
    page.goto(f"{base_url}/signup")
    page.get_by_label("Organisation name").fill("Journey Org")
    page.get_by_label("Your name").fill("Jo Owner")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    slug = "journey-org"
    if look_before_verifying:
        # Signed in before verifying: the workspace asks for the link first.
        _sign_in(page, base_url, f"/o/{slug}")
        page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/?$"))
        expect(page.get_by_text("Verify your email to invite people")).to_be_visible()
    mails = smtp.wait_for(already + 1, subject=VERIFY_SUBJECT)
    assert len(mails) == already + 1 and mails[-1]["To"] == OWNER
    link = re.search(r"https?://\S+/verify/\S+", smtp.body(mails[-1]))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("status")).to_contain_text("Your email address is verified")
    page.get_by_role("link", name="Continue to your workspace").click()
    if not look_before_verifying:
        _sign_in(page, base_url)
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/?$"))
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_text("Verify your email to invite people")).to_have_count(0)
    return slug


def test_sign_up_invite_join_and_member_is_refused_admin_pages(
    page: Page, browser: Browser, base_url: str
):
    owner_frames = FrameRecorder(page)

    # Bad input first: a weak password is refused with a clear message.
    page.goto(f"{base_url}/signup")
    page.get_by_label("Organisation name").fill("Journey Org")
    page.get_by_label("Your name").fill("Jo Owner")
    page.get_by_label("Email").fill("jo@journey.example")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")

    slug = _sign_up(page, base_url, look_before_verifying=True)

    # The session cookie: HttpOnly, SameSite=Lax, invisible to page scripts.
    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies["pmo_session"]
    assert session_cookie["httpOnly"] is True
    assert session_cookie["sameSite"] == "Lax"
    assert "pmo_session" not in page.evaluate("document.cookie")

    # Create a team.
    page.get_by_role("link", name="Members & Teams").click()
    page.get_by_role("link", name="Teams", exact=True).click()
    page.get_by_label("Team name").fill("Alpha")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Alpha")).to_be_visible()

    # Invite a member; a malformed address is refused first.
    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_label("Email to invite").fill("sam@localhost")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.get_by_label("Email to invite").fill("sam@journey.example")
    page.get_by_label("Invite as").select_option("member")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to sam@journey.example")
    expect(page.get_by_role("region", name="Invitations")).to_contain_text("pending")

    # The outbox page lists the invitation with its link masked; the link itself reached
    # sam only by SMTP.
    page.get_by_role("link", name="Outbox").click()
    body = page.locator("pre").filter(has_text="You have been invited").first
    expect(body).to_be_visible()
    expect(body).to_contain_text("/invite/[link hidden: sent by email only]")
    invitations = [
        m
        for m in smtp.wait_for(1, subject="You are invited to")
        if m["To"] == "sam@journey.example"
    ]
    assert invitations, "the invitation reached sam only by SMTP, and it did not arrive"
    link = re.search(r"https?://\S+/invite/\S+", smtp.body(invitations[-1]))
    assert link is not None
    assert link.group(0).rsplit("/", 1)[1] not in body.inner_text()  # the page never had it

    # The member joins in a browser of their own.
    member_context = browser.new_context()
    member = member_context.new_page()
    member_frames = FrameRecorder(member)
    member.goto(link.group(0))
    expect(member.get_by_text("You are invited to")).to_contain_text("Journey Org")
    member.get_by_label("Your name").fill("Sam Member")
    member.get_by_label("Password").fill(MEMBER_PASSWORD)
    member.get_by_role("button", name="Accept invitation").click()
    member.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/?$"))
    expect(member.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    member.get_by_role("button", name="User menu").click()
    expect(member.get_by_text("Role: member")).to_be_visible()
    member.keyboard.press("Escape")

    # A used invitation link gets a clear message.
    member.goto(link.group(0))
    expect(member.get_by_role("alert")).to_contain_text("already been used")

    # The member is refused by the server on admin pages.
    for admin_page in ("audit", "outbox"):
        member.goto(f"{base_url}/o/{slug}/{admin_page}")
        expect(member.get_by_role("alert")).to_contain_text("needs the admin role")
    member.goto(f"{base_url}/o/{slug}/members")
    expect(member.get_by_role("region", name="Members")).to_contain_text("sam@journey.example")
    expect(member.get_by_role("button", name="Send invitation")).to_have_count(0)

    # The owner sees the member with the member role, and the audit log tells the story.
    page.goto(f"{base_url}/o/{slug}/audit")
    audit = page.get_by_role("region", name="Audit events")
    for action in ("org.created", "team.created", "invitation.sent", "invitation.accepted"):
        expect(audit).to_contain_text(action)

    # Nothing secret reached either browser.
    with system_session() as session:
        users = session.exec(select(User)).all()
        member_row = session.exec(
            select(Membership)
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(User.email == "sam@journey.example")
        ).one()
        session_hashes = session.exec(select(UserSession.token_hash)).all()
    assert member_row.role == "member"
    member_token = {c["name"]: c for c in member_context.cookies()}["pmo_session"]["value"]
    received = owner_frames.text() + member_frames.text()
    assert len(received) > 1000  # the recorder saw the state traffic
    for secret in [session_cookie["value"], member_token, *session_hashes]:
        assert secret not in received
    for user in users:
        assert user.password_hash and user.password_hash not in received
    assert "$argon2" not in received
    member_context.close()


def test_sign_in_wrong_password_then_right_and_sign_out(page: Page, base_url: str):
    slug = _sign_up(page, base_url)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"^[^?]*/$"))
    assert "pmo_session" not in {c["name"] for c in page.context.cookies()}

    page.goto(f"{base_url}/o/{slug}/members")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill("jo@journey.example")
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/members/?$"))
    expect(page.get_by_role("region", name="Members")).to_contain_text("jo@journey.example")


def test_roles_last_owner_and_switching_organisations(page: Page, base_url: str):
    slug = _sign_up(page, base_url)
    with system_session() as session:
        org_id = session.exec(select(Membership.org_id)).one()
    from pmo_saas.identity import services as identity
    from pmo_saas.kernel.roles import Role
    from tests import factories

    owner_ctx = identity.workspace_context(user_id=_user_id("jo@journey.example"), slug=slug)
    assert owner_ctx.org_id == org_id
    factories.make_member(owner_ctx, Role.MEMBER, name="Kim", email="kim@journey.example")

    page.goto(f"{base_url}/o/{slug}/members")
    members = page.get_by_role("region", name="Members")
    # The last owner cannot be demoted: the server says so and nothing changes.
    page.get_by_label("Role of jo@journey.example").select_option("admin")
    expect(page.get_by_role("alert")).to_contain_text("last owner cannot be demoted")
    # Promote Kim to coach.
    page.get_by_label("Role of kim@journey.example").select_option("coach")
    expect(page.get_by_role("status")).to_contain_text("Role changed")
    assert (
        identity.workspace_context(user_id=_user_id("kim@journey.example"), slug=slug).role
        == "coach"
    )
    expect(members).to_contain_text("Kim")

    # A second organisation, then switch back through the organisation menu.
    page.goto(f"{base_url}/orgs")
    page.get_by_label("Organisation name").fill("Second Journey")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"^[^?]*/o/second-journey/?$"))
    expect(page.get_by_role("heading", name="Second Journey")).to_be_visible()
    page.get_by_role("button", name="Switch organisation").click()
    page.get_by_role("menuitem", name="Journey Org").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/?$"))
    expect(page.get_by_role("heading", name="Journey Org")).to_be_visible()


def _user_id(email: str) -> int:
    with system_session() as session:
        user_id = session.exec(select(User.id).where(User.email == email)).one()
    assert user_id is not None
    return user_id
