"""Input checks shared by several services."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from annotations.domain.vocabulary import Stance
from annotations.services.errors import Invalid

_validate_url = URLValidator(schemes=["http", "https"])


def clean_url(url: str, *, what: str, required: bool) -> str:
    """Strip and validate an http(s) URL; raise Invalid naming ``what`` otherwise."""
    url = (url or "").strip()
    if not url and not required:
        return ""
    scheme, separator, rest = url.partition("://")
    if separator:
        url = scheme.lower() + separator + rest  # "HTTPS://…" is valid and stored as "https://…"
    try:
        _validate_url(url)
    except ValidationError:
        raise Invalid(f"{what} {url[:200]!r} is not a valid http(s) URL") from None
    return url


def clean_stance(stance: str) -> str:
    if stance not in Stance.values:
        raise Invalid(f"unknown stance {stance!r}; expected one of {', '.join(Stance.values)}")
    return stance
