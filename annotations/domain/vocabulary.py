"""The app's one vocabulary: every enumerated value (role, annotation status, claim state, …) is defined
here once, as a ``StrEnum`` whose members compare equal to their stored strings. Models, the workflow,
selectors, serializers, templates and the JavaScript config all take their values and labels from here.

>>> AnnotationStatus.CHANGES_REQUESTED.label
'Changes requested'
>>> Role.values
['reviewer', 'editor', 'admin']
>>> Role.EDITOR.at_least(Role.REVIEWER), Role.REVIEWER.at_least(Role.EDITOR)
(True, False)
>>> ("published", "Published") in AnnotationStatus.choices
True
"""

from enum import EnumType, StrEnum


class _VocabularyType(EnumType):
    """``Enum.values`` and ``Enum.choices`` as class attributes, the way Django's TextChoices offer them."""

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class Vocabulary(StrEnum, metaclass=_VocabularyType):
    """Base: the label is the value in words ("changes_requested" → "Changes requested")."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Role(Vocabulary):
    """A member's role in a desk (``Project``). Each role can do everything the one before it can."""

    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: "Role | str") -> bool:
        return self.rank >= Role(other).rank


class AnnotationStatus(Vocabulary):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    PUBLISHED = "published"
    RETRACTED = "retracted"


# An author may still change (or delete) an annotation in these states; later ones are locked.
EDITABLE_STATUSES = frozenset({AnnotationStatus.DRAFT, AnnotationStatus.SUBMITTED, AnnotationStatus.CHANGES_REQUESTED})
# Verdicts that count as someone's judgement of a claim (review context and agreement statistics).
JUDGED_STATUSES = frozenset(
    {AnnotationStatus.SUBMITTED, AnnotationStatus.APPROVED, AnnotationStatus.CHANGES_REQUESTED,
     AnnotationStatus.PUBLISHED}
)  # fmt: skip
# Verdicts that passed review and may leave as ClaimReview.
REVIEWED_STATUSES = frozenset({AnnotationStatus.APPROVED, AnnotationStatus.PUBLISHED})


class ClaimOrigin(Vocabulary):
    MACHINE = "machine"
    PERSON = "person"


class ClaimState(Vocabulary):
    CANDIDATE = "candidate"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class SegmentationStatus(Vocabulary):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AnchoringStatus(Vocabulary):
    """Re-anchoring a document's annotations and claims on its current version (``services.document_reanchor``):
    pending → running → done | failed. A document that never changed text is done."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AnchorState(Vocabulary):
    """Where an annotation (or claim) stands on the current text of its document after a new version:
    ``ok`` (its words are there, maybe moved), ``changed`` (placed, but its quoted words changed: re-check),
    ``orphaned`` (could not be placed: it keeps the offsets and quote of ``document_version``, is never drawn
    on the new text and waits to be placed by hand)."""

    OK = "ok"
    CHANGED = "changed"
    ORPHANED = "orphaned"


class Stance(Vocabulary):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    CONTEXT = "context"


def is_checkworthy(*, state: str, score: float | None, threshold: float) -> bool:
    """The one check-worthy rule: a claim someone accepted, or an undecided candidate scoring at least
    ``threshold``. Dismissed claims never are. ``selectors.checkworthy_q`` is the same rule in SQL.

    >>> [is_checkworthy(state="candidate", score=s, threshold=0.5) for s in (0.7, 0.5, 0.2, None)]
    [True, True, False, False]
    >>> is_checkworthy(state="accepted", score=None, threshold=0.5)
    True
    >>> is_checkworthy(state="dismissed", score=0.9, threshold=0.5)
    False
    """
    if state == ClaimState.ACCEPTED:
        return True
    return state == ClaimState.CANDIDATE and score is not None and score >= threshold


class UrlImportStatus(Vocabulary):
    """An article being fetched from the web: queued → fetching → done | failed."""

    QUEUED = "queued"
    FETCHING = "fetching"
    DONE = "done"
    FAILED = "failed"


class LinkStatus(Vocabulary):
    """What an evidence link answered when the worker checked it."""

    OK = "ok"
    REDIRECTED = "redirected"  # answered, at another address
    BROKEN = "broken"  # an error status, or no answer
    REFUSED = "refused"  # not fetched: a private address, not http(s), …


class ReferenceSource(Vocabulary):
    """Where an already-checked claim of a desk's reference set comes from (``ReferenceClaim``)."""

    VERDICT = "verdict"  # an approved or published verdict of the desk
    CLAIMREVIEW = "claimreview"  # a fact-check imported from schema.org ClaimReview JSON-LD
