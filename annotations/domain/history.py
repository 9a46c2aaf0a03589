"""History that reads: one audit event in the words people use ("corrected the verdict: Mostly true → False",
"moved the highlight to “3.6 percent”"), values with their labels, offsets as the quoted text. Pure Python: the
admin, the review screen and the API's history feed all describe events with it.

>>> describe("transition", "annotation", {"verdict": ["mostly_true", "false"]}, "published", "published")
'corrected the verdict: Mostly true → False'
>>> describe("update", "annotation", {"start": [0, 12], "end": [5, 23], "quote": ["The r", "3.6 percent"]}, "", "")
'moved the highlight to “3.6 percent”'
>>> describe("transition", "annotation", {}, "submitted", "changes_requested")
'requested changes'
>>> describe("update", "document", {"version": [1, 2], "content_sha256": ["a", "b"], "length": [80, 95]}, "", "")
'stored version 2 of the text (80 → 95 characters)'
>>> describe("update", "annotation", {"anchor_state": ["ok", "orphaned"]}, "", "")
'changed its place in the text: in place → could not be placed'
"""

from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import AnnotationStatus, ClaimState, Role, Stance

_MOVES = {
    ("draft", "submitted"): "submitted it for review", ("changes_requested", "submitted"): "submitted it again",
    ("submitted", "approved"): "approved it", ("submitted", "changes_requested"): "requested changes",
    ("submitted", "rejected"): "rejected it", ("approved", "published"): "published it",
    ("published", "retracted"): "retracted it",
}  # fmt: skip
_FIELDS = {"rationale": "the rationale", "verdict": "the verdict", "title": "the title", "url": "the link",
           "stance": "the stance", "quoted_passage": "the quoted passage", "role": "the role", "name": "the name",
           "source_url": "the source URL", "author": "the author", "published_at": "the publication date",
           "state": "the state", "done": "the done mark", "guidelines": "the guidelines",
           "description": "the description", "document_version": "the article version",
           "anchor_state": "its place in the text"}  # fmt: skip
_LABELS = {
    "verdict": {v.value: v.label for v in Verdict}, "stance": {s.value: s.label for s in Stance},
    "role": {r.value: r.label for r in Role}, "state": {c.value: c.label for c in ClaimState},
    "status": {s.value: s.label for s in AnnotationStatus},
    "anchor_state": {"ok": "in place", "changed": "text changed — re-check", "orphaned": "could not be placed"},
}  # fmt: skip
_NOUNS = {
    "annotation": "the annotation", "evidence": "an evidence link", "document": "the document", "claim": "the claim",
    "project": "the desk", "membership": "a member", "assignment": "an assignment",
}  # fmt: skip


def _value(field: str, value: object) -> str:
    if value in (None, ""):
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        label = _LABELS.get(field, {}).get(value)
        if label:
            return label
        return f"“{value[:80]}…”" if len(value) > 80 else f"“{value}”"
    return str(value)


def describe(action: str, object_type: str, changes: dict, from_status: str, to_status: str) -> str:
    """What happened, as a sentence without its subject (the actor comes first where it is shown)."""
    changes = changes if isinstance(changes, dict) else {}
    if action == "comment":
        return "wrote on the thread"
    if action == "transition":
        if from_status == to_status == AnnotationStatus.PUBLISHED:
            verdict = changes.get("verdict")
            if verdict:
                return f"corrected the verdict: {_value('verdict', verdict[0])} → {_value('verdict', verdict[1])}"
            return "corrected the rationale"
        return _MOVES.get((from_status, to_status), f"moved it to {_value('status', to_status)}")
    noun = _NOUNS.get(object_type, object_type)
    if action == "create":
        return {"annotation": "highlighted it", "evidence": "added an evidence link"}.get(
            object_type, f"created {noun}"
        )
    if action == "delete":
        return {"annotation": "deleted it", "evidence": "removed an evidence link"}.get(object_type, f"removed {noun}")
    parts = []
    if object_type == "document" and "version" in changes:
        before, after = changes["version"]
        length = changes.get("length")
        size = f" ({length[0]} → {length[1]} characters)" if length else ""
        parts.append(f"stored version {after} of the text{size}")
    if "quote" in changes or "start" in changes or "end" in changes:
        quote = (changes.get("quote") or [None, None])[1]
        parts.append(f"moved the highlight to “{quote}”" if quote else "moved the highlight")
    for field, (before, after) in changes.items():
        if field in ("quote", "start", "end", "prefix", "suffix", "version", "content_sha256", "length"):
            continue
        name = _FIELDS.get(field, field.replace("_", " "))
        parts.append(f"changed {name}: {_value(field, before)} → {_value(field, after)}")
    return "; ".join(parts) or f"changed {noun}"
