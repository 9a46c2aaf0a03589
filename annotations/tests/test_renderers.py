"""The API's orjson renderer writes what DRF's JSONRenderer writes (issue 17: lean JSON on the hot paths)."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from annotations.api.renderers import OrjsonRenderer

MOMENT = datetime.datetime(2026, 12, 2, 19, 40, 1, 123456, tzinfo=datetime.UTC)
PAYLOADS = [
    {"results": [{"id": 1, "quote": "Née en 1990 🎉 — “quoted”", "score": 0.875, "ok": True, "none": None}]},
    {"detail": gettext_lazy("Not found."), "errors": {"document": ["must be a whole number"]}},
    {
        "at": MOMENT,
        "day": MOMENT.date(),
        "time": MOMENT.time(),
        "uuid": uuid.UUID(int=5),
        "dec": decimal.Decimal("1.5"),
    },
    ReturnDict({"a": ReturnList([1, 2, 3], serializer=None)}, serializer=None),
    {"separators": "line\u2028paragraph\u2029end", "control": "tab\tnew\nline\x00"},
    {"big": 2**70, "tuple": (1, 2), "nested": [[[]]], "unicode_key_é": 1, 1: "int key"},
    [],
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_orjson_writes_the_same_bytes_as_drf(payload):
    assert OrjsonRenderer().render(payload) == JSONRenderer().render(payload)


def test_a_pretty_printed_answer_is_drfs_and_nothing_is_written_for_none():
    context = {"indent": 2}
    assert OrjsonRenderer().render({"a": [1]}, "application/json", context) == JSONRenderer().render(
        {"a": [1]}, "application/json", context
    )
    assert OrjsonRenderer().render(None) == b""
    assert json.loads(OrjsonRenderer().render({"x": 1.0})) == {"x": 1.0}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Caracas"])
def test_a_timestamp_is_written_as_drfs_datetime_field_writes_it_in_the_current_time_zone(zone):
    import zoneinfo

    from django.utils import timezone
    from rest_framework.fields import DateTimeField

    from annotations.api.presenters import stamp

    values = [
        datetime.datetime(2026, 12, 3, 13, 5, 7, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata")),
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC),  # Paris changes its clocks
        datetime.datetime(2026, 12, 3, 13, 5, 7),  # naive: DRF's own rules
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        assert [stamp(v) for v in values] == [DateTimeField().to_representation(v) for v in values]
    assert stamp(None) is None
