"""Annotation filters, shared by the list endpoint, the export endpoint and the export command."""

import django_filters
from django import forms

from annotations.domain.verdicts import Verdict
from annotations.models import Annotation, AnnotationStatus

MAX_ID = 2**63 - 1  # the database's bigint


class IdFilter(django_filters.NumberFilter):
    """A whole number in the database's id range (a larger one is a 400, not an overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class AnnotationFilter(django_filters.FilterSet):
    document = IdFilter(field_name="document_id")
    author = django_filters.CharFilter(field_name="author__username")
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices)
    status = django_filters.MultipleChoiceFilter(choices=AnnotationStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(field_name="quote", lookup_expr="icontains", label="Text search in the quote")

    class Meta:
        model = Annotation
        fields = ["document", "author", "verdict", "status", "updated_since", "q"]
