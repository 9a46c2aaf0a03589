"""Main-text extraction on saved news pages with hand-marked main text (``tests/fixtures/extraction``): which
extractor, with which settings, gets an article's body and nothing else.

Score: shingle F1, the measure of the article-extraction benchmarks (word 4-grams of the lower-cased text, counted
as a multiset; precision = shared / predicted, recall = shared / gold), per page, averaged over the pages.

Choosing the best of several configurations on the same pages flatters it, so ``leave_one_out`` also reports
the honest number: for each page, pick the configuration that is best on the *other* pages and score it on this
one (what the choice would give on a page it never saw).
"""

import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Extractor = Callable[[str], str]
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def shingle_f1(predicted: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the predicted text's 4-gram shingles against the gold text's."""
    p, g = shingles(predicted), shingles(gold)
    if not p and not g:
        return 1.0, 1.0, 1.0
    shared = sum((p & g).values())
    precision = shared / sum(p.values()) if p else 0.0
    recall = shared / sum(g.values()) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class Page:
    name: str
    html: str
    gold: str


def load_pages(folder: Path) -> list[Page]:
    """Every ``NAME.html`` with its ``NAME.txt`` (the gold main text) in ``folder``."""
    pages = []
    for html in sorted(folder.glob("*.html")):
        gold = html.with_suffix(".txt")
        if gold.exists():
            pages.append(Page(html.stem, html.read_text(encoding="utf-8"), gold.read_text(encoding="utf-8")))
    return pages


def _trafilatura(**options) -> Extractor:
    def run(html: str) -> str:
        import trafilatura

        result = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, **options)
        return (result.text or "") if result is not None else ""

    return run


def _rs(**options) -> Extractor:
    def run(html: str) -> str:
        import rs_trafilatura

        return rs_trafilatura.extract(html, include_comments=False, **options).main_content or ""

    return run


def _fallback(primary: Extractor, backup: Extractor, share: float = 0.5) -> Extractor:
    """``primary``, unless it finds less than ``share`` of what ``backup`` finds (it lost the article)."""

    def run(html: str) -> str:
        first, second = primary(html), backup(html)
        return second if len(first.split()) < share * len(second.split()) else first

    return run


def _agreement(primary: Extractor, other: Extractor, keep: float = 0.5) -> Extractor:
    """The paragraphs of ``primary`` that ``other`` also found (at least ``keep`` of their shingles): a
    paragraph only one extractor wants is likely boilerplate. Falls back to ``primary`` if that loses half."""

    def run(html: str) -> str:
        first = primary(html)
        seen = shingles(other(html))
        kept = []
        for line in first.split("\n"):
            own = shingles(line)
            if own and sum((own & seen).values()) >= keep * sum(own.values()):
                kept.append(line)
        text = "\n".join(kept)
        return text if len(text.split()) >= 0.5 * len(first.split()) else first

    return run


def configurations() -> dict[str, Extractor]:
    """The candidates compared. The first is what imports use today."""
    current = _trafilatura(favor_precision=True, include_tables=False)
    return {
        "trafilatura precision, no tables (current)": current,
        "trafilatura default": _trafilatura(),
        "trafilatura default, no tables": _trafilatura(include_tables=False),
        "trafilatura recall": _trafilatura(favor_recall=True),
        "trafilatura recall, no tables": _trafilatura(favor_recall=True, include_tables=False),
        "trafilatura fast (no fallbacks)": _trafilatura(fast=True),
        "rs-trafilatura": _rs(),
        "rs-trafilatura, no tables": _rs(include_tables=False),
        "rs-trafilatura precision": _rs(favor_precision=True),
        "rs-trafilatura recall": _rs(favor_recall=True),
        "rs-trafilatura article, no tables": _rs(page_type="article", include_tables=False),
        "rs-trafilatura, else trafilatura recall": _fallback(_rs(include_tables=False),
                                                             _trafilatura(favor_recall=True, include_tables=False)),
        "trafilatura precision, else rs-trafilatura": _fallback(current, _rs(include_tables=False)),
        "paragraphs both keep (trafilatura precision ∩ rs)": _agreement(current, _rs(include_tables=False)),
    }  # fmt: skip


def evaluate(pages: list[Page], extractors: dict[str, Extractor]) -> dict[str, dict[str, float]]:
    """Per configuration: mean precision, recall, F1 over the pages, and per-page F1."""
    report = {}
    for name, extractor in extractors.items():
        scores = {page.name: shingle_f1(extractor(page.html), page.gold) for page in pages}
        report[name] = {
            "precision": statistics.fmean(s[0] for s in scores.values()),
            "recall": statistics.fmean(s[1] for s in scores.values()),
            "f1": statistics.fmean(s[2] for s in scores.values()),
            "pages": {page: s[2] for page, s in scores.items()},
        }
    return report


def leave_one_out(report: dict[str, dict]) -> dict[str, object]:
    """The honest score of "pick the configuration with the best mean F1": each page scored with the
    configuration that is best on the other pages; and how often each configuration was the pick."""
    names = list(report)
    pages = list(report[names[0]]["pages"])
    if len(pages) < 2:
        return {"f1": float("nan"), "picks": {}}
    scores, picks = [], Counter()

    def mean_without(name: str, held_out: str) -> float:
        return statistics.fmean(f for page, f in report[name]["pages"].items() if page != held_out)

    for held_out in pages:
        best = max(names, key=lambda name: mean_without(name, held_out))
        picks[best] += 1
        scores.append(report[best]["pages"][held_out])
    return {"f1": statistics.fmean(scores), "picks": dict(picks.most_common())}
