"""Annotation filters, shared by the list endpoint, the export endpoint and the export command."""

import django_filters

from annotations.domain.verdicts import Verdict
from annotations.models import Annotation, AnnotationStatus


class AnnotationFilter(django_filters.FilterSet):
    document = django_filters.NumberFilter(field_name="document_id")
    author = django_filters.CharFilter(field_name="author__username")
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices)
    status = django_filters.MultipleChoiceFilter(choices=AnnotationStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(field_name="quote", lookup_expr="icontains", label="Text search in the quote")

    class Meta:
        model = Annotation
        fields = ["document", "author", "verdict", "status", "updated_since", "q"]
