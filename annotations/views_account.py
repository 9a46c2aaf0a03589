"""The user's own API token: create (or replace) and revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from annotations import services


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            revoked = services.token_revoke(user=request.user)
            messages.success(request, "Token revoked." if revoked else "You had no token.")
        else:
            request.session["new_token"] = services.token_rotate(user=request.user)
            messages.success(request, "New token created. Copy it now: it replaces the previous one.")
        return redirect("api-token")
    new_token = request.session.pop("new_token", None)
    token = Token.objects.filter(user=request.user).first()
    return render(request, "annotations/api_token.html", {"token": token, "new_token": new_token})


@login_required
def my_queue(request: HttpRequest) -> HttpResponse:
    """A reviewer's queue: documents assigned to them and annotations sent back for changes."""
    from annotations import selectors

    return render(request, "annotations/my_queue.html", selectors.my_queue(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """What happened to my work: assignments, sent-back and rejected annotations, replies, disagreements."""
    from annotations import selectors

    if request.method == "POST":
        if request.POST.get("action") == "email":
            services.notification_settings_set(user=request.user, email=request.POST.get("email") == "on")
            messages.success(request, "E-mail notifications saved.")
        else:
            n = services.notifications_mark_read(user=request.user)
            messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked read.")
        return redirect("inbox")
    return render(request, "annotations/inbox.html", selectors.inbox(request.user))
