"""Typed errors. Services and the access layer raise them; each adapter maps them once: the API's
exception handler (``api/errors.py``) to 400/403/404/409/413 with a ``detail``, the pages' middleware to
404/403 pages, the admin to an error message. Messages are written for users and safe to show.

>>> Forbidden("only editors may review").status, Conflict("stale").status, TooLarge("big").status
(403, 409, 413)
"""


class AppError(Exception):
    status = 400


class Invalid(AppError, ValueError):
    """Bad input (400): the message says what is wrong."""

    status = 400


class NotFound(AppError):
    """No such object, or one the user may not see: outsiders learn nothing (404)."""

    status = 404


class Forbidden(AppError):
    """The user sees the object but their role does not allow this (403)."""

    status = 403


class Conflict(AppError):
    """The object is not in a state that allows this, e.g. it changed since the caller read it (409).
    ``current`` is what is stored now, when the caller should see it."""

    status = 409

    def __init__(self, message: str, current: object = None):
        super().__init__(message)
        self.current = current


class TooLarge(AppError):
    """More than a configured limit (413)."""

    status = 413
