"""API token authentication with the token and its user read by one hand-written query.

DRF's ``TokenAuthentication`` fetches ``Token.objects.select_related("user").get(key=…)`` on every API request;
building that query with the ORM costs several times what PostgreSQL spends answering it. The same rules: an
unknown key or an inactive user is a 401 with ``WWW-Authenticate: Token``.
"""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from annotations.db import fetch_model


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, reading the token and its user by one hand-written query."""

    def authenticate_credentials(self, key: str):
        user = fetch_model(get_user_model(), _user_by_token_sql(), [key])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        token = Token(key=key, user=user)
        return user, token


@functools.cache
def _user_by_token_sql() -> str:
    quote = connection.ops.quote_name
    user_model = get_user_model()
    token_field = Token._meta.get_field("user")
    # Identifiers come from the models; the values are parameters.
    return (
        f"SELECT u.* FROM {quote(Token._meta.db_table)} t JOIN {quote(user_model._meta.db_table)} u "  # noqa: S608
        f"ON u.{quote(user_model._meta.pk.column)} = t.{quote(token_field.column)} WHERE t.{quote('key')} = %s"
    )


def authenticate_with_document(request, document_id: int):
    """Authenticate the request's API token as :class:`TokenAuthentication` does, and read one document for its user
    in the same query (``access.user_and_document_for_token``): the document row for
    ``access.document_for_user_lean(..., fetched=…)``, which applies the access rules. ``access.NOT_FETCHED`` when the
    request does not authenticate this way (no token header, an unknown key, an inactive user): DRF's
    authentication then runs as always and answers as always (401 with ``WWW-Authenticate``)."""
    from annotations import access

    parts = authentication.get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return access.NOT_FETCHED
    try:
        key = parts[1].decode()
    except UnicodeError:
        return access.NOT_FETCHED
    found = access.user_and_document_for_token(key, document_id)
    if found is None or not found[0].is_active:
        return access.NOT_FETCHED
    user, document = found
    request._authenticator = TokenAuthentication()
    request.user, request.auth = user, Token(key=key, user=user)
    return document
