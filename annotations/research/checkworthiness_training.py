"""Training the check-worthiness model and writing its artifact (offline: ``manage.py train_checkworthiness``).

The model and how it is scored are described in :mod:`annotations.domain.checkworthiness`, the serving module,
which only loads the artifact. This module fits it with scikit-learn (imported inside :func:`_fit_sklearn`
only), converts the fitted vectorizers and classifier into plain arrays and writes ``model.json`` +
``weights.npz`` byte-for-byte reproducibly. Pure Python, no Django.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from annotations.domain.checkworthiness import FORMAT, MODEL_VERSION, CheckworthinessModel, make_block
from annotations.research import eval_checkworthiness

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
            make_block(vectorizer.analyzer, vectorizer.ngram_range, vectorizer.sublinear_tf, terms, vectorizer.idf_)
        )
    return CheckworthinessModel(
        version=MODEL_VERSION,
        threshold=float(config.threshold),
        blocks=tuple(blocks),
        coef=classifier.coef_.ravel().astype(np.float32),
        intercept=float(classifier.intercept_[0]),
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


# ---- the CT24 training run used by `manage.py train_checkworthiness` -----------------------------------

CT24_FILES = {split: f"CT24_checkworthy_english_{split}.tsv" for split in ("train", "dev", "dev-test")}


def train_ct24(
    data_dir: str | Path,
    *,
    seed: int = 0,
    config: TrainConfig | None = None,
    feedback: Sequence[tuple[str, int]] = (),
) -> tuple[CheckworthinessModel, dict]:
    """Train on the CT24 ``train`` file (plus reviewers' ``feedback`` rows, if any) and evaluate on ``dev`` and
    ``dev-test`` (never used to choose)."""
    data_dir = Path(data_dir)
    config = config or TrainConfig()
    texts, labels = eval_checkworthiness.load_ct24(data_dir / CT24_FILES["train"])
    texts = [*texts, *(text for text, _ in feedback)]
    labels = [*labels, *(label for _, label in feedback)]
    model = train(texts, labels, seed=seed, config=config)
    report: dict = {
        "version": model.version,
        "seed": seed,
        "config": asdict(config),
        "threshold": model.threshold,
        "train": {"n": len(labels), "positives": int(sum(labels)), "feedback": len(feedback)},
        "features": {block.analyzer: len(block.terms) for block in model.blocks},
    }
    for split in ("dev", "dev-test"):
        path = data_dir / CT24_FILES[split]
        if path.exists():
            split_texts, split_labels = eval_checkworthiness.load_ct24(path)
            report[split] = eval_checkworthiness.f1_report(model.score(split_texts), split_labels, model.threshold)
    return model, report


# ---- honest selection: cross-validation grouped by source (CT24 train + dev) ----------------------------


def grouped_cv(
    data_dir: str | Path,
    *,
    folds: int = 3,
    seed: int = 0,
    config: TrainConfig | None = None,
    train_rows_per_fold: int = 0,
) -> dict:
    """F1(Yes) at the model's fixed threshold on each held-out fold of CT24 train+dev, folds being contiguous
    ``Sentence_id`` ranges (whole debates; see :func:`eval_checkworthiness.contiguous_folds`). Dev-test is not
    touched: it stays a sanity check. ``train_rows_per_fold`` > 0 fits each fold on a seeded random sample of that
    many training rows (the same sample ``train_encoder.py cv --train-rows`` draws, for a like-for-like table)."""
    data_dir = Path(data_dir)
    config = config or TrainConfig()
    rows = [
        row for split in ("train", "dev") for row in eval_checkworthiness.load_ct24_rows(data_dir / CT24_FILES[split])
    ]
    results = []
    for held in eval_checkworthiness.contiguous_folds([row[0] for row in rows], folds):
        held_set = set(held.tolist())
        fit = [row for index, row in enumerate(rows) if index not in held_set]
        if train_rows_per_fold and train_rows_per_fold < len(fit):
            fit = random.Random(seed + len(results)).sample(fit, train_rows_per_fold)  # noqa: S311 -- reproducible
        test = [rows[index] for index in held]
        model = train([r[1] for r in fit], [r[2] for r in fit], seed=seed, config=config)
        report = eval_checkworthiness.f1_report(
            model.score([r[1] for r in test]), [r[2] for r in test], model.threshold
        )
        report["ids"] = [min(r[0] for r in test), max(r[0] for r in test)]
        results.append(report)
    f1 = np.array([r["f1"] for r in results])
    return {
        "folds": results,
        "f1_mean": float(f1.mean()),
        "f1_std": float(f1.std(ddof=1)),
        "f1_min": float(f1.min()),
        "f1_max": float(f1.max()),
    }
