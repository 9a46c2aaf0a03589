"""The verdict scale: one ordinal enum used everywhere (models, API, exports).

>>> Verdict.MOSTLY_FALSE.rating, Verdict.MOSTLY_FALSE.label
(2, 'Mostly false')
>>> Verdict.UNVERIFIABLE.rating is None
True
"""

from annotations.domain.vocabulary import Vocabulary


class Verdict(Vocabulary):
    TRUE = "true"
    MOSTLY_TRUE = "mostly_true"
    MIXED = "mixed"
    MOSTLY_FALSE = "mostly_false"
    FALSE = "false"
    UNVERIFIABLE = "unverifiable"

    @property
    def rating(self) -> int | None:
        """Ordinal rating, 5 (true) … 1 (false); None for unverifiable.
        Maps onto ClaimReview's reviewRating (bestRating 5, worstRating 1)."""
        return _RATINGS.get(self)


_RATINGS = {
    Verdict.TRUE: 5,
    Verdict.MOSTLY_TRUE: 4,
    Verdict.MIXED: 3,
    Verdict.MOSTLY_FALSE: 2,
    Verdict.FALSE: 1,
}
