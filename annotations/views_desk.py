"""Desk setup in the browser: create a desk (site admins), its settings and members (its admins), and a
corrected text for one of its documents (its editors). Thin: forms shape the input, services decide (their
typed errors become form errors or messages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotations import access, selectors, services
from annotations.domain.errors import AppError
from annotations.domain.vocabulary import Role
from annotations.forms import DeskCreateForm, DeskForm, DocumentTextForm, InviteForm


@login_required
@require_http_methods(["GET", "POST"])
def desk_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create_projects(request.user):
        raise services.Forbidden("only site admins create desks")
    form = DeskCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(user=request.user, exist_ok=False, **form.cleaned_data)
        except AppError as exc:
            form.add_error("slug" if "slug" in str(exc) else None, str(exc))
        else:
            messages.success(request, f"Desk “{project.name}” created. Invite its members.")
            return redirect("desk-settings", slug=project.slug)
    return render(request, "annotations/desk_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def desk_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member sees who is on the desk; its admins change the desk and its members here."""
    project = access.project_for_user(request.user, slug)
    manages = access.can_manage_members(request.user, project)
    forms = {
        "desk": DeskForm(initial={"name": project.name, "description": project.description,
                                  "guidelines": project.guidelines, "publisher_name": project.publisher_name,
                                  "publisher_url": project.publisher_url, "blind_review": project.blind_review}),
        "invite": InviteForm(),
    }  # fmt: skip
    if request.method == "POST":
        if not manages:
            raise services.Forbidden("only admins of this desk change it")
        action = request.POST.get("action", "")
        handler = _ACTIONS.get(action)
        if handler is None:
            messages.error(request, "Unknown action.")
            return redirect("desk-settings", slug=project.slug)
        form = {"desk": DeskForm, "invite": InviteForm}.get(action)
        bound = form(request.POST) if form else None
        try:
            if bound is None or bound.is_valid():
                message = handler(request, project, bound.cleaned_data if bound else request.POST)
                messages.success(request, message)
                stays = access.can_manage_members(request.user, project)  # unless they stepped down themselves
                return redirect("desk-settings" if stays else "document-list", slug=project.slug)
        except AppError as exc:
            if bound is None:
                messages.error(request, str(exc))
                return redirect("desk-settings", slug=project.slug)
            bound.add_error(None, str(exc))
        forms[action] = bound
    context = {
        "project": project, "manages": manages, "desk_form": forms["desk"], "invite_form": forms["invite"],
        "members": [(m, m.user.has_usable_password()) for m in selectors.desk_members(project)],
        "roles": Role.choices, "role": access.role_in(request.user, project),
    }  # fmt: skip
    invalid = any(form.is_bound and form.errors for form in forms.values())
    return render(request, "annotations/desk_settings.html", context, status=400 if invalid else 200)


def _save_desk(request: HttpRequest, project, data) -> str:
    services.project_update(project=project, user=request.user, **data)
    return "Desk settings saved."


def _invite(request: HttpRequest, project, data) -> str:
    invitation = services.membership_invite(
        project=project, actor=request.user, identifier=data["user"], role=data["role"],
        site_url=request.build_absolute_uri("/"),
    )  # fmt: skip
    member = invitation.membership
    if invitation.resent:
        return f"{member.user.get_username()} has not chosen a password yet: the invitation was sent again."
    note = " An e-mail with a link to choose a password is on its way." if invitation.account_created else ""
    return f"{member.user.get_username()} joined as {Role(member.role).label.lower()}.{note}"


def _change_role(request: HttpRequest, project, data) -> str:
    member = selectors.desk_member(project, data.get("username", ""))
    role = data.get("role", "")
    services.membership_set(project=project, user=member.user, role=role, actor=request.user)
    return f"{member.user.get_username()} is now {Role(role).label.lower()}."


def _remove(request: HttpRequest, project, data) -> str:
    member = selectors.desk_member(project, data.get("username", ""))
    services.membership_remove(project=project, user=member.user, actor=request.user)
    return f"{member.user.get_username()} was removed from the desk; their annotations stay."


_ACTIONS = {"desk": _save_desk, "invite": _invite, "role": _change_role, "remove": _remove}


@login_required
@require_http_methods(["GET", "POST"])
def document_correct(request: HttpRequest, document_id: int) -> HttpResponse:
    """Editors and admins of the desk store a corrected text as the document's next version; its annotations
    and claims are then placed on it in the background (the document page says how it went)."""
    document = access.document_for_user(request.user, document_id, need=Role.EDITOR)
    form = DocumentTextForm(request.POST or None, initial={"body": document.body})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.document_new_version(document=document, user=request.user, **form.cleaned_data)
        except AppError as exc:
            form.add_error("body", str(exc))
        else:
            if outcome.created:
                placing = "the annotations are being placed on it"
                messages.success(request, f"Saved as version {outcome.version}; {placing}.")
            else:
                messages.info(request, "The text is the same as the current version's: nothing was stored.")
            return redirect("document-detail", document_id=document.pk)
    context = {"document": document, "form": form}
    return render(request, "annotations/document_correct.html", context, status=400 if form.errors else 200)
