"""The errors services raise (typed: the adapters map each once, see ``domain/errors.py``)."""

from annotations.domain.errors import AppError, Conflict, Forbidden, Invalid, NotFound, TooLarge

Rejected = Invalid  # the older name: bad input, HTTP 400


class DocumentRejected(Invalid):
    """The input cannot become a document."""


class AnnotationRejected(Invalid):
    """The annotation does not fit its document."""


__all__ = [
    "AnnotationRejected", "AppError", "Conflict", "DocumentRejected", "Forbidden", "Invalid", "NotFound", "Rejected",
    "TooLarge",
]  # fmt: skip
