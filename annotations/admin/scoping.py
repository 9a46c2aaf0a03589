"""What every admin class of ours shares: objects, choices and filters limited to the desks where the user
is an editor or admin (``access.scope``), permissions from desk roles, and no write that skips a service.

A class declares ``project_path`` (from its model to the Project) and turns on exactly the writes it routes
through a service; everything else is read-only for everyone, superusers included."""

from functools import reduce

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect

from annotations import access
from annotations.domain.errors import AppError
from annotations.domain.vocabulary import Role
from annotations.models import Annotation, Claim, Document, Project

NEED = Role.EDITOR  # the admin is for editors and admins of a desk


def may_use_admin(request: HttpRequest) -> bool:
    """``access.can_use_admin`` once per request (the admin asks for every model, inline and action)."""
    if not hasattr(request, "_may_use_admin"):
        request._may_use_admin = access.can_use_admin(request.user)
    return request._may_use_admin


def scoped_choices(model, user) -> QuerySet | None:
    """The objects of ``model`` a foreign-key field may offer ``user`` (None: not a model we scope)."""
    scopes = {
        Project: lambda: access.projects_visible(user, need=NEED),
        Document: lambda: access.documents_visible(user, need=NEED),
        Claim: lambda: access.claims_visible(user, need=NEED),
        Annotation: lambda: access.annotations_visible(user, need=NEED),
        get_user_model(): lambda: access.users_visible(user, need=NEED),
    }
    scope = scopes.get(model)
    return scope() if scope else None


class ScopedAdmin(admin.ModelAdmin):
    project_path = "project"  # lookup from the model to its Project ("" for Project itself)

    # ---- what the user sees -----------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.scope(super().get_queryset(request), request.user, self.project_path, NEED)

    def project_of(self, obj) -> Project:
        return reduce(getattr, self.project_path.split("__"), obj) if self.project_path else obj

    def role(self, request: HttpRequest, obj) -> Role | None:
        return access.role_in(request.user, self.project_of(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return may_use_admin(request)
        role = self.role(request, obj)
        return role is not None and role.at_least(NEED)

    # ---- writes: off unless a class routes them through a service ------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):  # pragma: no cover - every writable class overrides it
        raise NotImplementedError(f"{type(self).__name__} must write through a service")

    def delete_model(self, request, obj):  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must delete through a service")

    # ---- choices and filters --------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = scoped_choices(db_field.related_model, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        """Every foreign-key filter lists only related objects of visible rows (the stock one lists all)."""
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and self._is_relation(item):
                item = (item, admin.RelatedOnlyFieldListFilter)  # related objects of visible rows only
            filters.append(item)
        return filters

    def _is_relation(self, path: str) -> bool:
        model = self.model
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if not field.is_relation:
                return False
            model = field.related_model
        return True

    def changelist_view(self, request: HttpRequest, extra_context=None):
        """An action posted with ids that are not ids (hand-made requests) answers with a message, not a 500."""
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME) if request.method == "POST" else []
        if any(not (v.isascii() and v.isdigit() and len(v) < 19 and int(v) > 0) for v in selected):
            self.message_user(request, "Those are not ids of rows of this list; nothing was done.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    # ---- errors ---------------------------------------------------------------------------------------
    def report(self, request: HttpRequest, exc: AppError, prefix: str = "") -> None:
        self.message_user(request, f"{prefix}{exc}", messages.ERROR)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)
