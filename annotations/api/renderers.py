"""JSON responses written by orjson: the same JSON as DRF's JSONRenderer (compact, UTF-8, U+2028/U+2029 escaped for
script contexts), several times faster for a page of annotations. What orjson does not know (lazy translations,
DRF's own types, and dates, which DRF writes its own way) goes through DRF's encoder. (Floats may be spelled
differently: ``1e16`` for ``1e+16``; a NaN becomes ``null`` where DRF would fail.)"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_fallback = JSONEncoder().default


class OrjsonRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent:  # ?indent / a browser asking for pretty JSON: DRF's own writer
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_fallback, option=_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):  # an int beyond 64 bits and the like: DRF's writer
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in out:  # as DRF does: line and paragraph separators would end a JavaScript string
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
