"""Check-worthiness scoring: how likely a sentence is a factual claim worth checking (0–1).

Model: TF-IDF of word 1–2-grams + TF-IDF of char_wb 2–5-grams (each block l2-normalised, sublinear tf),
then a class-balanced logistic regression; a sentence is check-worthy iff ``score >= threshold`` (0.5).

The committed artifact (``checkworthiness_model/``) is not a pickle: ``model.json`` holds the settings and
``weights.npz`` the vocabularies (UTF-8, one term a line), idf and coefficients as plain arrays, loaded with
``allow_pickle=False``. Scoring re-implements scikit-learn's analyzers and tf-idf in numpy/scipy (a test
checks it against scikit-learn), so loading needs neither scikit-learn nor a matching pickle version.
scikit-learn is imported only by :func:`train`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from annotations.domain import eval_checkworthiness

MODEL_DIR = Path(__file__).resolve().parent / "checkworthiness_model"
MODEL_VERSION = "cw-tfidf-lr-1"
FORMAT = 1
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class TrainConfig:
    """Chosen on CT24 dev (see checkworthiness_model/README.md); dev-test was not used to choose."""

    word_ngrams: tuple[int, int] = (1, 2)
    word_min_df: int = 2
    char_ngrams: tuple[int, int] = (2, 5)
    char_min_df: int = 3
    sublinear_tf: bool = True
    C: float = 2.0
    threshold: float = 0.5


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


# ---- training (scikit-learn is needed only here) ------------------------------------------------------


def _fit_sklearn(texts: Sequence[str], labels: Sequence[object], *, seed: int, config: TrainConfig):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    y = np.array([eval_checkworthiness._as_label(label) for label in labels], dtype=np.int64)
    if len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts for {len(y)} labels")
    if len(set(y.tolist())) != 2:
        raise ValueError("training needs both check-worthy and other sentences")
    vectorizers = [
        TfidfVectorizer(
            analyzer="word",
            ngram_range=config.word_ngrams,
            min_df=config.word_min_df,
            sublinear_tf=config.sublinear_tf,
            dtype=np.float64,
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=config.char_ngrams,
            min_df=config.char_min_df,
            sublinear_tf=config.sublinear_tf,
            dtype=np.float64,
        ),
    ]
    features = sparse.hstack([vectorizer.fit_transform(list(texts)) for vectorizer in vectorizers]).tocsr()
    classifier = LogisticRegression(
        C=config.C, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=seed
    )
    classifier.fit(features, y)
    return vectorizers, classifier


def train(
    texts: Sequence[str], labels: Sequence[object], *, seed: int = 0, config: TrainConfig | None = None
) -> CheckworthinessModel:
    """Fit the model on ``texts`` with labels (1/0, True/False or "Yes"/"No"); deterministic for a seed."""
    config = config or TrainConfig()
    vectorizers, classifier = _fit_sklearn(texts, labels, seed=seed, config=config)
    blocks = []
    for vectorizer in vectorizers:
        terms = tuple(vectorizer.get_feature_names_out().tolist())
        blocks.append(
            _block(vectorizer.analyzer, vectorizer.ngram_range, vectorizer.sublinear_tf, terms, vectorizer.idf_)
        )
    return CheckworthinessModel(
        version=MODEL_VERSION,
        threshold=float(config.threshold),
        blocks=tuple(blocks),
        coef=classifier.coef_.ravel().astype(np.float32),
        intercept=float(classifier.intercept_[0]),
    )


def _block(analyzer: str, ngram_range, sublinear_tf: bool, terms: Sequence[str], idf) -> _Block:
    terms = tuple(terms)
    return _Block(
        analyzer=str(analyzer),
        ngram_range=(int(ngram_range[0]), int(ngram_range[1])),
        sublinear_tf=bool(sublinear_tf),
        terms=terms,
        idf=np.asarray(idf, dtype=np.float32),
        vocabulary={term: column for column, term in enumerate(terms)},
    )


# ---- artifact: model.json + weights.npz (no pickle), byte-for-byte reproducible -------------------------


def save(model: CheckworthinessModel, directory: str | Path) -> list[Path]:
    """Write ``model.json`` and ``weights.npz`` into ``directory``; returns the files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"coef": np.asarray(model.coef, dtype=np.float32)}
    blocks = []
    for index, block in enumerate(model.blocks):
        if any("\n" in term for term in block.terms):
            raise ValueError("a vocabulary term contains a newline")
        arrays[f"terms_{index}"] = np.frombuffer("\n".join(block.terms).encode("utf-8"), dtype=np.uint8)
        arrays[f"idf_{index}"] = np.asarray(block.idf, dtype=np.float32)
        blocks.append(
            {
                "analyzer": block.analyzer,
                "ngram_range": list(block.ngram_range),
                "sublinear_tf": block.sublinear_tf,
                "lowercase": True,
                "norm": "l2",
                "n_terms": len(block.terms),
            }
        )
    weights = directory / "weights.npz"
    _write_npz(weights, arrays)
    meta = {
        "format": FORMAT,
        "version": model.version,
        "threshold": model.threshold,
        "intercept": model.intercept,
        "blocks": blocks,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }
    meta_path = directory / "model.json"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return [meta_path, weights]


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed`` but with fixed timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


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
                _block(spec["analyzer"], spec["ngram_range"], spec["sublinear_tf"], terms, weights[f"idf_{index}"])
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


@functools.cache
def load_default() -> CheckworthinessModel:
    """The committed model, loaded once per process."""
    return load(MODEL_DIR)


# ---- the CT24 training run used by `manage.py train_checkworthiness` -----------------------------------

CT24_FILES = {split: f"CT24_checkworthy_english_{split}.tsv" for split in ("train", "dev", "dev-test")}


def train_ct24(
    data_dir: str | Path, *, seed: int = 0, config: TrainConfig | None = None
) -> tuple[CheckworthinessModel, dict]:
    """Train on the CT24 ``train`` file only and evaluate on ``dev`` and ``dev-test`` (never used to choose)."""
    data_dir = Path(data_dir)
    config = config or TrainConfig()
    texts, labels = eval_checkworthiness.load_ct24(data_dir / CT24_FILES["train"])
    model = train(texts, labels, seed=seed, config=config)
    report: dict = {
        "version": model.version,
        "seed": seed,
        "config": asdict(config),
        "threshold": model.threshold,
        "train": {"n": len(labels), "positives": int(sum(labels))},
        "features": {block.analyzer: len(block.terms) for block in model.blocks},
    }
    for split in ("dev", "dev-test"):
        path = data_dir / CT24_FILES[split]
        if path.exists():
            split_texts, split_labels = eval_checkworthiness.load_ct24(path)
            report[split] = eval_checkworthiness.f1_report(model.score(split_texts), split_labels, model.threshold)
    return model, report
