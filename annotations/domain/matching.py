"""Claim matching: which already fact-checked claims does a new text repeat?

A lexical ranker, no model: BM25F (BM25 over several weighted fields, Robertson & Zaragoza's "simple
BM25F"), because on CheckThat! 2020 Task 2 (tweets against 10k Snopes claims) a tuned BM25 is within a
few points of sentence embeddings at a fraction of the cost, and it explains itself (shared words).

Tokens: case and accents folded (``"Análisis"`` → ``analisis``), URLs dropped, hashtags split at case
changes (``#BlackLivesMatter`` → black lives matter), numbers kept whole (``2020``, ``3.5``, ``3.5%``;
``10,000`` → ``10000``, ``8 per cent`` → ``8%``), English stop words removed, then the Snowball English
stemmer (PyStemmer, a maintained C implementation: light enough that ``vaccines``/``vaccinated`` meet, fast
enough for 10k claims in well under a second). Every choice of :class:`Settings` was made on the CheckThat!
*train* queries (``annotations/research/eval_matching.py``); the dev queries are the held-out measurement.

Keeping the index fresh: the index stores raw counts only (per-term postings of term frequencies per
field, document lengths, document frequencies). Everything that depends on the whole collection (idf,
average field lengths) is computed at query time, so :meth:`MatchingIndex.add` appends the new claims'
postings in O(their length) and the result is exactly the index a full build over all items would give
(a test checks this). The app can therefore hold one index per process, ``add`` each claim when it is
approved, and rebuild from the database only on start-up or when a claim is edited or withdrawn (an id can
be added once; removal is a rebuild).
"""

from __future__ import annotations

import functools
import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import Stemmer

from annotations.domain.text import fold

__all__ = ["MatchingIndex", "Settings", "background_idf", "build_index", "similarity", "tokenize"]

Mode = Literal["lexical", "hybrid"]

# The Snowball project's English stop list (the one its stemmer is designed with), plus contracted forms
# without the apostrophe (tokens are split there) and the Twitter boilerplate "rt"/"via".
_STOP_LIST = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is
    are was were be been being have has had having do does did doing would should could ought a an the and
    but if or because as until while of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s t
    can will just don shouldn now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn
    mustn needn shan wasn weren won wouldn let us also rt via amp
"""
STOP_WORDS = frozenset(_STOP_LIST.split())

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_TAG = re.compile(r"[#@](\w+)")
_CASE_CHANGE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_PERCENT = re.compile(r"(\d)\s*(?:%|per\s?cent\b)", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+)(?![\d,])")
# A number (with decimals, optionally a percent sign) or a run of letters (apostrophes split it: "trump's").
_TOKEN = re.compile(r"\d+(?:\.\d+)*%?|[^\W\d_]+")


@dataclass(frozen=True)
class Settings:
    """Ranking settings. The defaults were chosen on the CheckThat! 2020 Task 2 *train* queries.

    ``field_weights``: one weight per text field of an item (a plain string is one field; ``None``: every
    field 1.0); a field's term frequencies are multiplied by it after length normalisation. ``mentions``:
    keep ``@handles`` as words (split like hashtags) instead of dropping them. ``split_tags``: split hashtags
    and handles at case changes. ``query_tf``: a word said twice in the query counts twice.

    On the train queries (claim + title as two fields) the chosen point scored MAP@5 0.875; the best of a
    k1 × b × title-weight grid 0.8755, so the textbook k1 = 1.2, b = 0.75 and equal weights were kept.
    Stemming (+0.017), splitting tags (+0.02) and keeping handles (+0.006) helped; counting repeated
    query words hurt (0.845 with it), and so did adding word bigrams (0.846).

    ``lexical_weight`` (``mode="hybrid"`` only): the fused score is ``lexical_weight · BM25F / (the query's
    best BM25F) + the field-weighted mean cosine`` of the query's and the item's embeddings. On train: 0.3
    gave 0.896 (0.2: 0.891, 0.4: 0.896, 1.0: 0.886; embeddings alone 0.838, one embedding of the fields
    joined 0.802 alone and 0.871 fused, hence one embedding per field).
    """

    k1: float = 1.2
    b: float = 0.75
    field_weights: tuple[float, ...] | None = None
    stem: bool = True
    mentions: bool = True
    split_tags: bool = True
    query_tf: bool = False
    lexical_weight: float = 0.3


DEFAULT = Settings()


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    """One stemmer per process; it caches the stems of the words it has seen (bounded)."""
    return Stemmer.Stemmer("english", 100_000)


def tokenize(text: str, settings: Settings = DEFAULT) -> list[str]:
    """Index terms of ``text`` in order: folded, stop words out, numbers kept, stemmed.

    >>> tokenize("Análisis: 70 per cent of the 10,000 #BlackLivesMatter protesters in 2020 — http://t.co/x")
    ['analisi', '70%', '10000', 'black', 'live', 'matter', 'protest', '2020']
    """
    text = _URL.sub(" ", text)

    def tag(match: re.Match[str]) -> str:
        if match.group(0)[0] == "@" and not settings.mentions:
            return " "
        word = match.group(1)
        return " " + (_CASE_CHANGE.sub(" ", word) if settings.split_tags else word) + " "

    text = _TAG.sub(tag, text)
    text = _THOUSANDS.sub(lambda match: match.group(1).replace(",", ""), text)
    text = _PERCENT.sub(r"\1%", text)
    words = [word for word in _TOKEN.findall(fold(text)) if word not in STOP_WORDS]
    return _stemmer().stemWords(words) if settings.stem else words


def _fields(text: str | Sequence[str]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MatchingIndex:
    """BM25F over items added in order; see the module docstring for why ``add`` needs no rebuild.

    ``mode="hybrid"`` also keeps one sentence embedding per field of every item (``encoder``: by default
    all-MiniLM-L6-v2 fine-tuned for matching, :func:`annotations.domain.embeddings.load_matching_encoder`) and
    fuses the cosine with the lexical score.
    """

    def __init__(self, settings: Settings = DEFAULT, mode: Mode = "lexical", encoder: Encoder | None = None) -> None:
        if mode not in ("lexical", "hybrid"):
            raise ValueError(f"mode must be 'lexical' or 'hybrid', not {mode!r}")
        self.settings = settings
        self.mode = mode
        self._encoder = encoder
        # hybrid: per field, the embeddings of the items in blocks of one add each (joined when searched)
        self._vectors: list[list[np.ndarray]] = []
        self._matrices: list[np.ndarray] | None = None
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        # per field: every document's length in terms, and their sum (fields fixed by the first item)
        self._lengths: list[array] = []
        self._length_sums: list[float] = []
        # term → (document positions, one array of term frequencies per field), documents in insertion order
        self._postings: dict[str, tuple[array, list[array]]] = {}
        self._norms: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, items: Iterable[tuple[str, str | Sequence[str]]]) -> None:
        """Append ``(id, text)`` items; ``text`` is a string or one string per field. Ids must be new.

        All items are checked before any is added, so a bad one leaves the index as it was.
        """
        batch = [(item_id, _fields(text)) for item_id, text in items]
        if not batch:
            return
        n_fields = len(self._lengths) or len(batch[0][1])
        weights = self.settings.field_weights
        if weights is not None and len(weights) != n_fields:
            raise ValueError(f"{batch[0][0]!r}: {n_fields} fields, settings weigh {len(weights)}")
        seen = set(self._positions)
        for item_id, fields in batch:
            if item_id in seen:
                raise ValueError(f"{item_id!r} is already in the index")
            if len(fields) != n_fields:
                raise ValueError(f"{item_id!r}: {len(fields)} fields, the index has {n_fields}")
            seen.add(item_id)
        if self.mode == "hybrid":
            encoder = self._encoder_or_default()
            vectors = [np.asarray(encoder.encode([fields[f] for _, fields in batch])) for f in range(n_fields)]
            self._vectors = self._vectors or [[] for _ in range(n_fields)]
            for blocks, block in zip(self._vectors, vectors, strict=True):
                blocks.append(block)
            self._matrices = None
        if not self._lengths:
            self._lengths = [array("d") for _ in range(n_fields)]
            self._length_sums = [0.0] * n_fields
        for item_id, fields in batch:
            position = len(self._ids)
            counts = [Counter(tokenize(field, self.settings)) for field in fields]
            for term in dict.fromkeys(term for count in counts for term in count):
                if term not in self._postings:
                    self._postings[term] = (array("l"), [array("d") for _ in range(n_fields)])
                docs, tfs = self._postings[term]
                docs.append(position)
                for field_tfs, count in zip(tfs, counts, strict=True):
                    field_tfs.append(count.get(term, 0))
            for field, count in enumerate(counts):
                length = sum(count.values())
                self._lengths[field].append(length)
                self._length_sums[field] += length
            self._ids.append(item_id)
            self._positions[item_id] = position
        self._norms = None

    @property
    def encoder(self) -> Encoder | None:
        """The sentence encoder of a hybrid index (loaded on first use); ``None`` for a lexical one."""
        return self._encoder_or_default() if self.mode == "hybrid" else None

    def _encoder_or_default(self) -> Encoder:
        if self._encoder is None:
            from annotations.domain.embeddings import load_matching_encoder

            self._encoder = load_matching_encoder()
        return self._encoder

    def _dense_scores(self, text: str) -> np.ndarray:
        """Field-weighted mean cosine of the query's embedding with every item's field embeddings."""
        if self._matrices is None:
            self._matrices = [np.concatenate(blocks) for blocks in self._vectors]
        query = np.asarray(self._encoder_or_default().encode([text]))[0]
        weights = self.settings.field_weights or (1.0,) * len(self._matrices)
        total = sum(weights) or 1.0
        return sum(
            (weight / total) * (matrix @ query).astype(float)
            for weight, matrix in zip(weights, self._matrices, strict=True)
        )

    def _field_norms(self) -> list[np.ndarray]:
        """Per field, ``weight / (1 - b + b · length / average length)`` of every document (cached until add)."""
        if self._norms is None:
            b, n = self.settings.b, len(self._ids)
            self._norms = []
            weights = self.settings.field_weights or (1.0,) * len(self._lengths)
            for weight, lengths, total in zip(weights, self._lengths, self._length_sums, strict=True):
                average = total / n if total else 1.0
                lengths_now = np.array(lengths, dtype=float)
                # an empty field has no term frequency to normalise (and b = 1 would divide by zero)
                denominator = np.where(lengths_now > 0, 1.0 - b + b * lengths_now / average, 1.0)
                self._norms.append(weight / denominator)
        return self._norms

    def _score_arrays(self, terms: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        k1, n = self.settings.k1, len(self._ids)
        norms = self._field_norms()
        scores = np.zeros(n)
        touched = np.zeros(n, dtype=bool)
        for term, query_tf in terms.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            docs = np.array(posting[0], dtype=np.intp)
            tf = sum(np.array(field_tfs) * norm[docs] for field_tfs, norm in zip(posting[1], norms, strict=True))
            idf = math.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            weight = idf * (query_tf if self.settings.query_tf else 1)
            scores[docs] += weight * tf * (k1 + 1.0) / (k1 + tf)
            touched[docs] = True
        positions = np.flatnonzero(touched)
        return positions, scores[positions]

    def idf(self, term: str) -> float:
        """BM25's idf of an index term now (a term no item has gets the highest idf there is)."""
        n = len(self._ids)
        posting = self._postings.get(term)
        df = len(posting[0]) if posting is not None else 0
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` best ``(id, score)`` pairs, best first; equal scores in insertion order.

        Scores (BM25F sums, or the fused score in hybrid mode) are comparable within one query, not across
        queries. An empty index, a query without a word that counts (empty, stop words only) or ``k < 1``
        gives ``[]``; lexically, so does a query sharing no term with any item.
        """
        terms = Counter(tokenize(text, self.settings))
        if k < 1 or not terms or not self._ids:
            return []
        positions, scores = self._score_arrays(terms)
        if self.mode == "hybrid":
            fused = self._dense_scores(text)
            if len(scores):
                fused[positions] += self.settings.lexical_weight * scores / scores.max()
            positions, scores = np.arange(len(fused)), fused
        if len(positions) > k:
            keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
            positions, scores = positions[keep], scores[keep]
        order = np.lexsort((positions, -scores))[:k]
        return [(self._ids[positions[i]], float(scores[i])) for i in order]


# Thresholds on the :func:`similarity` scale, chosen on 144 hand-labelled pairs of seed sentences (each sentence's
# best BM25 neighbours: hard cases; ``annotations/tests/fixtures/matching/seed_pairs.json``, 15 are the same claim),
# where the test asserts the precision each gives. SHOW_AT: listed as "checked before?" (recall first: a reviewer
# glances at a few candidates); LIKELY_AT: "likely the same claim"; DUPLICATE_AT: near-identical (item 5: judged once).
SHOW_AT = 0.30
LIKELY_AT = 0.46
DUPLICATE_AT = 0.75


@functools.cache
def _background() -> tuple[int, dict[str, int]]:
    """Document frequencies of index terms over a fixed background collection (the CheckThat! 2020 Task 2
    verified claims; ``scripts/build_matching_background.py``), loaded once per process."""
    data = json.loads((Path(__file__).with_name("matching_background.json")).read_text(encoding="utf-8"))
    return int(data["documents"]), data["df"]


def background_idf(term: str) -> float:
    """idf of an index term in the background collection; a term it has (almost) never seen counts the most."""
    n, df = _background()
    seen = df.get(term, 0)
    return math.log(1.0 + (n - seen + 0.5) / (seen + 0.5))


def similarity(query: str, text: str, settings: Settings = DEFAULT) -> float:
    """How far two texts say the same thing, 0–1, comparable across queries and collections (unlike the BM25F
    scores of :meth:`MatchingIndex.search`, which only rank): the cosine of their sets of index terms, each
    weighted by its idf in a fixed background collection, so sharing "Rouvinski" and "warships" counts more
    than sharing "said" or "president". 1.0: the same terms. The app's threshold is calibrated on this scale
    (``annotations/tests/fixtures/matching/seed_pairs.json``)."""
    a, b = set(tokenize(query, settings)), set(tokenize(text, settings))
    if not a or not b:
        return 0.0
    weight = {term: background_idf(term) ** 2 for term in a | b}
    shared = sum(weight[term] for term in a & b)
    return shared / math.sqrt(sum(weight[term] for term in a) * sum(weight[term] for term in b))


def build_index(
    items: Iterable[tuple[str, str | Sequence[str]]],
    settings: Settings = DEFAULT,
    mode: Mode = "lexical",
    encoder: Encoder | None = None,
) -> MatchingIndex:
    """An index over ``(id, text)`` pairs (``text``: a string, or one string per weighted field).

    ``mode="hybrid"`` fuses sentence embeddings in (optional packages, see :mod:`annotations.domain.embeddings`).
    """
    index = MatchingIndex(settings, mode, encoder)
    index.add(items)
    return index
