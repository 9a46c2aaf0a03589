"""A desk is set up in the app: a site admin creates it, its admins invite people by username or e-mail and
change or remove their roles (the last admin stays) — in the pages and through the API, under the same rules."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from annotations.domain.vocabulary import Role
from annotations.models import AuditEvent, Membership, Project
from annotations.tests.factories import MembershipFactory, ProjectFactory, UserFactory

User = get_user_model()


@pytest.fixture
def site_admin(db):
    return UserFactory(username="site_admin", is_superuser=True, is_staff=True)


@pytest.fixture
def desk_admin(project):
    return MembershipFactory(project=project, user=UserFactory(username="desk_admin"), role=Role.ADMIN).user


# ---- creating a desk ---------------------------------------------------------------------------------


def test_a_site_admin_creates_a_desk_over_the_api_and_manages_it_without_joining_it(api_as, site_admin):
    response = api_as(site_admin).post(
        "/api/v1/projects/",
        {"name": "  Health   desk ", "slug": "health", "description": "Medicine claims", "guidelines": "Cite trials."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"slug": "health", "name": "Health desk", "description": "Medicine claims",
                               "guidelines": "Cite trials.", "role": "admin"}  # fmt: skip
    desk = Project.objects.get(slug="health")
    assert not Membership.objects.filter(project=desk).exists()  # site admins manage every desk as its admin
    assert AuditEvent.objects.filter(project=desk, object_type="project", action="create").count() == 1


@pytest.mark.parametrize("who", ["editor", "desk_admin", "reviewer"])
def test_nobody_but_a_site_admin_creates_a_desk(api_as, request, who):
    user = request.getfixturevalue(who)
    response = api_as(user).post("/api/v1/projects/", {"name": "X", "slug": "x-desk"}, format="json")
    assert response.status_code == 403
    assert "site admins" in response.json()["detail"]
    assert not Project.objects.filter(slug="x-desk").exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [("Health Desk", "lowercase"), ("-health", "lowercase"), ("new", "reserved"), ("", "slug"), ("a" * 101, "100")],
)
def test_a_bad_slug_is_a_400_naming_it(api_as, site_admin, slug, message):
    response = api_as(site_admin).post("/api/v1/projects/", {"name": "Health", "slug": slug}, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert Project.objects.count() == 0


def test_a_slug_in_use_is_a_409_and_changes_nothing(api_as, site_admin, project):
    response = api_as(site_admin).post("/api/v1/projects/", {"name": "Other", "slug": project.slug}, format="json")
    assert response.status_code == 409
    assert "exists already" in response.json()["detail"]
    project.refresh_from_db()
    assert project.name == "Politics desk"


def test_a_desk_admin_changes_the_desks_guidelines_and_a_reviewer_may_not(api_as, desk_admin, reviewer, project):
    url = f"/api/v1/projects/{project.slug}/"
    assert api_as(reviewer).patch(url, {"guidelines": "x"}, format="json").status_code == 403
    response = api_as(desk_admin).patch(url, {"guidelines": "Two sources for every verdict."}, format="json")
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.guidelines == "Two sources for every verdict."
    event = AuditEvent.objects.get(project=project, object_type="project", action="update")
    assert event.changes == {"guidelines": ["", "Two sources for every verdict."]}


def test_the_new_desk_page_creates_a_desk_and_leads_to_its_members(client, site_admin):
    client.force_login(site_admin)
    assert client.get(reverse("project-list")).content.decode().count(reverse("desk-create")) >= 1
    response = client.post(reverse("desk-create"), {"name": "Climate", "slug": "climate", "description": "",
                                                    "guidelines": ""})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("desk-settings", args=["climate"])
    page = client.get(response["Location"]).content.decode()
    assert "Invite someone" in page and "Climate" in page


def test_the_new_desk_page_shows_a_bad_slug_on_the_form(client, site_admin):
    client.force_login(site_admin)
    response = client.post(reverse("desk-create"), {"name": "Climate", "slug": "Climate Desk"})
    assert response.status_code == 200
    assert "lowercase letters" in response.content.decode()
    assert not Project.objects.exists()


def test_the_new_desk_page_is_403_for_a_desk_admin(client, desk_admin):
    client.force_login(desk_admin)
    assert reverse("desk-create") not in client.get(reverse("project-list")).content.decode()
    assert client.get(reverse("desk-create")).status_code == 403
    assert client.post(reverse("desk-create"), {"name": "X", "slug": "x"}).status_code == 403


# ---- members over the API ----------------------------------------------------------------------------


def test_every_member_sees_the_member_list_but_only_admins_see_addresses(
    api_as, desk_admin, reviewer, editor, project, django_assert_num_queries
):
    reviewer.email = "rev@example.org"
    reviewer.save()
    client = api_as(reviewer)
    with django_assert_num_queries(3):  # the desk with the caller's role, can-manage, the members with users
        response = client.get(f"/api/v1/projects/{project.slug}/members/")
    rows = response.json()["results"]
    assert [(r["user"]["username"], r["role"]) for r in rows] == [
        ("desk_admin", "admin"), ("editor", "editor"), ("reviewer", "reviewer")]  # fmt: skip
    assert all(r["email"] is None for r in rows)
    as_admin = api_as(desk_admin).get(f"/api/v1/projects/{project.slug}/members/").json()["results"]
    assert as_admin[2]["email"] == "rev@example.org"


def test_the_member_list_costs_the_same_queries_for_three_members_or_thirty(
    api_as, desk_admin, project, django_assert_num_queries
):
    for n in range(30):
        MembershipFactory(project=project, user=UserFactory(username=f"m{n}"))
    with django_assert_num_queries(3):
        assert len(api_as(desk_admin).get(f"/api/v1/projects/{project.slug}/members/").json()["results"]) == 31


def test_an_outsider_gets_404_for_a_desks_members(api_as, outsider, project):
    assert api_as(outsider).get(f"/api/v1/projects/{project.slug}/members/").status_code == 404
    response = api_as(outsider).post(f"/api/v1/projects/{project.slug}/members/", {"user": "outsider"})
    assert response.status_code == 404


def _colleague(username: str, desk_admin, **fields):
    """An account on another desk of the desk admin's: someone they already see."""
    other = ProjectFactory(slug="sports")
    MembershipFactory(project=other, user=desk_admin, role=Role.REVIEWER)
    return MembershipFactory(project=other, user=UserFactory(username=username, **fields)).user


def test_a_desk_admin_invites_a_colleague_by_username_case_aside(api_as, desk_admin, project):
    newcomer = _colleague("Maria", desk_admin, email="maria@newsroom.example")
    response = api_as(desk_admin).post(
        f"/api/v1/projects/{project.slug}/members/", {"user": "maria", "role": "editor"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["username"] == "Maria"
    assert response.json()["email"] is None  # invited by name: the answer does not hand out the address
    assert Membership.objects.get(project=project, user=newcomer).role == Role.EDITOR
    event = AuditEvent.objects.get(project=project, object_type="membership", action="create")
    assert event.actor == desk_admin and event.changes["role"] == [None, "editor"]
    assert mail.outbox == []  # an existing account needs no e-mail


def test_an_invitation_by_e_mail_finds_the_account_with_that_address(api_as, desk_admin, project):
    newcomer = UserFactory(username="jdoe", email="Jane.Doe@example.org")
    response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/",
                                       {"user": "jane.doe@EXAMPLE.org"}, format="json")  # fmt: skip
    assert response.status_code == 201
    assert Membership.objects.get(project=project, user=newcomer).role == Role.REVIEWER


def test_an_address_without_an_account_gets_one_and_an_e_mail_to_choose_a_password(
    api_as, client, desk_admin, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(desk_admin).post(
            f"/api/v1/projects/{project.slug}/members/",
            {"user": "new.person@example.org", "role": "reviewer"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["invitation_pending"] is True
    account = User.objects.get(email="new.person@example.org")
    assert account.username == "new.person" and not account.has_usable_password()
    assert Membership.objects.get(project=project, user=account).role == Role.REVIEWER
    (message,) = mail.outbox
    assert message.to == ["new.person@example.org"] and "Politics desk" in message.subject
    assert "desk_admin invited you" in message.body and "Your username is new.person" in message.body
    link = re.search(r"https?://\S+", message.body).group(0)
    # The link lets them choose a password, and then they log in and see the desk.
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a-Long-pass-456", "new_password2": "a-Long-pass-456"})
    assert done.status_code == 302
    assert client.login(username="new.person", password="a-Long-pass-456")
    assert project.name in client.get(reverse("project-list")).content.decode()


def test_a_second_new_account_from_the_same_local_part_gets_its_own_username(api_as, desk_admin, project):
    UserFactory(username="sam")
    response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "sam@news.example"},
                                       format="json")  # fmt: skip
    assert response.status_code == 201
    assert response.json()["user"]["username"] == "sam2"


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("nobody-here", 404, "invite them by e-mail"),
        ("not-an-address@", 400, "not a valid e-mail"),
        ("", 400, "user"),
        ("reviewer", 409, "already on this desk as reviewer"),
    ],
)
def test_an_invitation_that_cannot_work_says_why_and_writes_nothing(
    api_as, desk_admin, reviewer, project, who, status, message
):
    before = (User.objects.count(), Membership.objects.count())
    response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": who}, format="json")
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert (User.objects.count(), Membership.objects.count()) == before


def test_two_accounts_with_one_address_must_be_invited_by_username(api_as, desk_admin, project):
    UserFactory(username="a1", email="shared@example.org")
    UserFactory(username="a2", email="shared@example.org")
    response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "shared@example.org"},
                                       format="json")  # fmt: skip
    assert response.status_code == 400
    assert "by username" in response.json()["detail"]


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_only_a_desk_admin_invites(api_as, request, project, who):
    UserFactory(username="maria")
    response = api_as(request.getfixturevalue(who)).post(f"/api/v1/projects/{project.slug}/members/",
                                                         {"user": "maria"}, format="json")  # fmt: skip
    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="maria").exists()


def test_a_desk_admin_changes_a_role_and_removes_a_member(api_as, desk_admin, reviewer, project):
    client = api_as(desk_admin)
    url = f"/api/v1/projects/{project.slug}/members/{reviewer.username}/"
    response = client.patch(url, {"role": "editor"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "editor"
    assert Membership.objects.get(project=project, user=reviewer).role == Role.EDITOR
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(project=project, user=reviewer).exists()
    actions = list(AuditEvent.objects.filter(object_type="membership").values_list("action", flat=True))
    assert actions[-2:] == ["update", "delete"]


def test_the_last_desk_admin_can_be_neither_demoted_nor_removed(api_as, desk_admin, project):
    client = api_as(desk_admin)
    url = f"/api/v1/projects/{project.slug}/members/desk_admin/"
    response = client.patch(url, {"role": "reviewer"}, format="json")
    assert response.status_code == 409 and "last admin" in response.json()["detail"]
    assert client.delete(url).status_code == 409
    assert Membership.objects.get(project=project, user=desk_admin).role == Role.ADMIN


def test_a_role_change_needs_a_desk_admin_and_a_real_member(api_as, editor, desk_admin, reviewer, project):
    url = f"/api/v1/projects/{project.slug}/members/{reviewer.username}/"
    assert api_as(editor).patch(url, {"role": "admin"}, format="json").status_code == 403
    assert api_as(editor).delete(url).status_code == 403
    assert api_as(reviewer).delete(f"/api/v1/projects/{project.slug}/members/desk_admin/").status_code == 403
    assert Membership.objects.get(project=project, user=reviewer).role == Role.REVIEWER
    missing = api_as(desk_admin).patch(f"/api/v1/projects/{project.slug}/members/ghost/", {"role": "editor"},
                                       format="json")  # fmt: skip
    assert missing.status_code == 404 and "not a member" in missing.json()["detail"]
    bad = api_as(desk_admin).patch(url, {"role": "owner"}, format="json")
    assert bad.status_code == 400


# ---- members in the page -----------------------------------------------------------------------------


def test_a_desk_admin_invites_changes_and_removes_members_in_the_page(client, desk_admin, reviewer, project):
    _colleague("maria", desk_admin)
    client.force_login(desk_admin)
    url = reverse("desk-settings", args=[project.slug])
    page = client.get(url).content.decode()
    assert "Invite someone" in page and "reviewer" in page
    response = client.post(url, {"action": "invite", "user": "maria", "role": "editor"}, follow=True)
    assert "maria joined as editor." in response.content.decode()
    assert Membership.objects.get(project=project, user__username="maria").role == Role.EDITOR
    client.post(url, {"action": "role", "username": "reviewer", "role": "admin"})
    assert Membership.objects.get(project=project, user=reviewer).role == Role.ADMIN
    response = client.post(url, {"action": "remove", "username": "maria"}, follow=True)
    assert "maria was removed" in response.content.decode()
    assert not Membership.objects.filter(project=project, user__username="maria").exists()


def test_the_page_says_why_the_last_admin_cannot_step_down(client, desk_admin, project):
    client.force_login(desk_admin)
    url = reverse("desk-settings", args=[project.slug])
    response = client.post(url, {"action": "role", "username": "desk_admin", "role": "reviewer"}, follow=True)
    assert "last admin" in response.content.decode()
    assert Membership.objects.get(project=project, user=desk_admin).role == Role.ADMIN


def test_an_unknown_username_in_the_invite_form_is_shown_on_the_form(client, desk_admin, project):
    client.force_login(desk_admin)
    response = client.post(reverse("desk-settings", args=[project.slug]), {"action": "invite", "user": "ghost",
                                                                           "role": "reviewer"})  # fmt: skip
    assert response.status_code == 400
    assert "invite them by e-mail" in response.content.decode()


def test_a_reviewer_sees_the_members_but_cannot_change_them(client, reviewer, desk_admin, project):
    client.force_login(reviewer)
    url = reverse("desk-settings", args=[project.slug])
    page = client.get(url).content.decode()
    assert "desk_admin" in page and "Invite someone" not in page
    assert client.post(url, {"action": "remove", "username": "desk_admin"}).status_code == 403
    assert Membership.objects.filter(project=project, user=desk_admin).exists()


def test_an_outsider_gets_404_for_the_members_page(client, outsider, project):
    client.force_login(outsider)
    assert client.get(reverse("desk-settings", args=[project.slug])).status_code == 404


def test_a_stranger_cannot_be_found_or_added_by_guessing_a_username(api_as, desk_admin, project):
    UserFactory(username="victim", email="victim@corp.example")  # on no desk of the desk admin's
    response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "victim"},
                                       format="json")  # fmt: skip
    missing = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "nobody-at-all"},
                                      format="json")  # fmt: skip
    assert response.status_code == missing.status_code == 404
    assert response.json()["detail"].replace("victim", "X") == missing.json()["detail"].replace("nobody-at-all", "X")
    assert "victim@corp.example" not in response.content.decode()
    assert not Membership.objects.filter(user__username="victim").exists()


def test_a_site_admin_adds_anyone_by_username(api_as, site_admin, project):
    UserFactory(username="victim")
    response = api_as(site_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "victim"},
                                       format="json")  # fmt: skip
    assert response.status_code == 201


def test_inviting_someone_who_never_chose_a_password_sends_the_link_again(
    api_as, desk_admin, project, django_capture_on_commit_callbacks
):
    client = api_as(desk_admin)
    url = f"/api/v1/projects/{project.slug}/members/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"user": "late@example.org"}, format="json").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"user": "late@example.org"}, format="json")
    assert again.status_code == 200
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["late@example.org"]
    assert Membership.objects.filter(user__email="late@example.org").count() == 1


def test_no_invitation_link_is_built_from_an_unchecked_host(
    api_as, desk_admin, project, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL, settings.ALLOWED_HOSTS = "", ["*"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(desk_admin).post(f"/api/v1/projects/{project.slug}/members/", {"user": "x@example.org"},
                                           format="json", HTTP_HOST="evil.example")  # fmt: skip
    assert response.status_code == 201
    assert mail.outbox == []  # logged instead: SITE_URL must be set when any host is accepted


@pytest.mark.parametrize("username", ["%00", "a%00b"])
def test_a_nul_in_a_member_name_is_a_404(api_as, desk_admin, project, username):
    client = api_as(desk_admin)
    url = f"/api/v1/projects/{project.slug}/members/{username}/"
    assert client.patch(url, {"role": "editor"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
