"""Annotation filters, shared by the list endpoint, the export endpoint and the export command."""

from datetime import UTC, datetime

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime

from annotations.domain.verdicts import Verdict
from annotations.models import Annotation, AnnotationStatus

MAX_ID = 2**63 - 1  # the database's bigint


class IdFilter(django_filters.NumberFilter):
    """A whole number in the database's id range (a larger one is a 400, not an overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


def parse_instant(value: str) -> datetime:
    """An ISO 8601 date-time the database can compare with, as aware UTC; ValueError says why not.
    (Offsets beyond ±24 h, and instants outside years 1–9999 once in UTC, are refused.)"""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2025-11-02T10:00:00Z")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2025-11-02T10:00:00Z")
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError("is out of range (years 1 to 9999 in UTC)") from None


class InstantField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_instant(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class InstantFilter(django_filters.Filter):
    field_class = InstantField


class AnnotationFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="document__project__slug", label="Desk (slug)")
    document = IdFilter(field_name="document_id")
    author = django_filters.CharFilter(field_name="author__username")
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices)
    status = django_filters.MultipleChoiceFilter(choices=AnnotationStatus.choices)
    updated_since = InstantFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(field_name="quote", lookup_expr="icontains", label="Text search in the quote")

    class Meta:
        model = Annotation
        fields = ["project", "document", "author", "verdict", "status", "updated_since", "q"]
