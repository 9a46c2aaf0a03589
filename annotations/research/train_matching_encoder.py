"""Fine-tune all-MiniLM-L6-v2 for claim matching (offline, torch; NOT run by the app or its tests).

Same environment as :mod:`annotations.research.train_encoder` (``requirements-train.txt`` plus PyStemmer, which the
lexical half of the evaluation needs)::

    # choosing: fit on 80 % of the CheckThat! 2020 Task 2 train queries, score the other 20 % ("held") and dev
    PYTHONPATH=. /work/venv-train/bin/python -m annotations.research.train_matching_encoder experiment \\
        --data ../shared/data/claim_retrieval_ct20_task2/v3.zip
    # the shipped artifact: fit on all train queries, score dev (never used to choose)
    PYTHONPATH=. /work/venv-train/bin/python -m annotations.research.train_matching_encoder final \\
        --data ../shared/data/claim_retrieval_ct20_task2/v3.zip --out annotations/domain/matching_encoder

Recipe: the query (tweet) and the claim's two fields (``vclaim``, ``title``) are embedded as the app embeds them
(mean pooling, L2 normalisation); a claim's score is the mean of its two field cosines, which is exactly the dense
half of :class:`annotations.domain.matching.MatchingIndex` in hybrid mode. Loss: multiple-negatives ranking (softmax
over the batch's claims, scale 20), with one hard negative per query (the best BM25F claim that is not relevant),
and in-batch claims relevant to the query masked out. Transformer layers ``--from-layer``…5 are trained (default all
six; the embeddings stay the base model's), so the artifact stores only those (float16, ~3.5 MB per layer).
AdamW lr 5e-5, weight decay 0.01, 10 % warm-up then linear decay, 3 epochs, batch 32, max 128 word pieces, fixed
seeds. Chosen on the held 20 % of train (hybrid MAP@5, lexical weight 0.3): base model 0.921; layers 3-5 at lr 2e-5
0.925; all layers at lr 5e-5 0.946 (chosen); the same with 3 hard negatives 0.941.

The artifact (``--out``): ``weights.safetensors`` (the trained layers, float32), ``model.json`` (recipe, base package,
sha256, the measured numbers) and ``parity.json`` (embeddings torch computed for fixed texts, which the NumPy
forward pass of :mod:`annotations.domain.embeddings` must reproduce within 1e-5).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from annotations.domain.matching import Settings, build_index
from annotations.research import eval_matching
from annotations.research.train_encoder import _pad, _Tokens, artifact_meta, base_bert

PARITY_TEXTS = (
    "Maduro wrote a letter to Putin asking for help against the United States.",
    "BREAKING: the WHO says 5G spreads the virus https://t.co/abc — Jane Doe (@jane) March 3, 2020",
    "Photo shows Joe Biden asleep at a press conference.",
    "",
)


@dataclass(frozen=True)
class Recipe:
    from_layer: int = 0
    epochs: int = 3
    batch_size: int = 32
    max_len: int = 128
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    scale: float = 20.0
    hard_negatives: int = 1
    seed: int = 0


def build_model(recipe: Recipe):
    import torch

    model = base_bert()
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(_trained(name, recipe))
    return model, torch


def _trained(name: str, recipe: Recipe) -> bool:
    return name.startswith("encoder.layer.") and int(name.split(".")[2]) >= recipe.from_layer


def _embed(model, ids, mask):
    import torch

    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def encode(model, texts: list[str], max_len: int = 256, batch_size: int = 64) -> np.ndarray:
    import torch

    ids = _Tokens(max_len).ids(texts)
    out = np.zeros((len(ids), 384), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            input_ids, mask = _pad([ids[i] for i in chunk])
            out[chunk] = _embed(model, input_ids, mask).numpy()
    return out


def training_pairs(data: eval_matching.Benchmark, query_ids: set[str], recipe: Recipe) -> list[tuple[str, str, list]]:
    """``(tweet, relevant claim id, hard negative claim ids)`` for every relevant pair of the chosen queries."""
    lexical = build_index((cid, (claim, title)) for cid, claim, title in data.claims)
    pairs = []
    for query_id, text in data.queries["train"]:
        relevant = data.qrels["train"].get(query_id, set())
        if query_id not in query_ids or not relevant:
            continue
        negatives = [cid for cid, _ in lexical.search(text, 10) if cid not in relevant][: recipe.hard_negatives]
        pairs.extend((text, claim_id, negatives) for claim_id in sorted(relevant))
    return pairs


def train(data: eval_matching.Benchmark, query_ids: set[str], recipe: Recipe, log=print):
    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    model, torch = build_model(recipe)
    torch.manual_seed(recipe.seed)
    claims = {cid: (claim, title) for cid, claim, title in data.claims}
    pairs = training_pairs(data, query_ids, recipe)
    relevant = data.qrels["train"]
    by_text = {text: relevant.get(qid, set()) for qid, text in data.queries["train"]}
    tokens = _Tokens(recipe.max_len)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe.lr,
                                  weight_decay=recipe.weight_decay)  # fmt: skip
    total = math.ceil(len(pairs) / recipe.batch_size) * recipe.epochs
    warmup = max(1, int(recipe.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: step / warmup if step < warmup else max(0.0, (total - step) / (total - warmup))
    )
    rng = random.Random(recipe.seed)  # noqa: S311 -- reproducible batch order, not a secret
    model.train()
    step, started = 0, time.perf_counter()
    log(f"training on {len(pairs)} pairs, {total} steps, layers {recipe.from_layer}-5")
    for epoch in range(recipe.epochs):
        order = list(range(len(pairs)))
        rng.shuffle(order)
        for start in range(0, len(order), recipe.batch_size):
            batch = [pairs[i] for i in order[start : start + recipe.batch_size]]
            candidates = list(dict.fromkeys([cid for _, cid, _ in batch] + [n for *_, negs in batch for n in negs]))
            query = _embed(model, *_pad(tokens.ids([text for text, _, _ in batch])))
            fields = [_embed(model, *_pad(tokens.ids([claims[c][f] for c in candidates]))) for f in (0, 1)]
            scores = recipe.scale * (query @ fields[0].T + query @ fields[1].T) / 2
            target = torch.tensor([candidates.index(cid) for _, cid, _ in batch])
            # another claim relevant to the same tweet is not a negative
            mask = torch.tensor([[c != cid and c in by_text[text] for c in candidates] for text, cid, _ in batch])
            loss = torch.nn.functional.cross_entropy(scores.masked_fill(mask, -1e4), target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 20 == 0 or step == total:
                log(f"  epoch {epoch + 1} step {step}/{total} loss {float(loss.detach()):.4f} "
                    f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    model.eval()
    return model


class Cached:
    """An encoder answering from precomputed vectors (so the app's own hybrid index scores the model)."""

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.table = dict(zip(texts, vectors, strict=True))

    def encode(self, texts):
        return np.stack([self.table[text] for text in texts])


def score(model, data: eval_matching.Benchmark, splits: dict[str, list], weights=(0.0, 0.3, 0.5, 1.0)) -> dict:
    """MAP@5 of dense only (lexical weight 0: the fused score is the cosine alone) and hybrid fusions, per split,
    through the app's MatchingIndex."""
    texts = list(dict.fromkeys([t for _, c, ti in data.claims for t in (c, ti)]
                               + [text for queries in splits.values() for _, text in queries]))  # fmt: skip
    started = time.perf_counter()
    cached = Cached(texts, encode(model, texts))
    report = {"encode seconds": round(time.perf_counter() - started, 1)}
    for weight in weights:
        settings = Settings(lexical_weight=weight)
        index = build_index(((cid, (c, t)) for cid, c, t in data.claims), settings, mode="hybrid", encoder=cached)
        for split, queries in splits.items():
            qrels = data.qrels["train" if split == "held" else split]
            result = eval_matching.evaluate(index.search, queries, qrels)
            report[f"{split} · lexical_weight {weight} · map@5"] = round(result["map@5"], 4)
            report[f"{split} · lexical_weight {weight} · p@1"] = round(result["p@1"], 4)
    return report


def load_stored(recipe: Recipe, weights: Path):
    """The base model with the stored (float16) layers over it, in float32: what the app computes with."""
    from safetensors.torch import load_file

    model, _ = build_model(recipe)
    model.load_state_dict({name: value.float() for name, value in load_file(str(weights)).items()}, strict=False)
    return model.eval()


def export(model, recipe: Recipe, out: Path, extra: dict) -> dict:
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    # float16 halves the file (the app computes in float32; parity and the scores are of the stored weights)
    state = {name: value.detach().half().contiguous().clone() for name, value in model.state_dict().items()
             if _trained(name, recipe)}  # fmt: skip
    weights = out / "weights.safetensors"
    save_file(state, str(weights), metadata={"format": "match-encoder-1"})
    reloaded = load_stored(recipe, weights)
    parity = {"texts": list(PARITY_TEXTS), "embeddings": encode(reloaded, list(PARITY_TEXTS)).tolist(),
              "torch": torch.__version__}  # fmt: skip
    (out / "parity.json").write_text(json.dumps(parity) + "\n", encoding="utf-8")
    meta = {**artifact_meta("matching-encoder", extra.pop("version"), weights), "recipe": asdict(recipe), **extra}
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["experiment", "final", "base"])
    parser.add_argument("--data", type=Path, required=True, help="CheckThat! 2020 Task 2 v3.zip (or its folder)")
    parser.add_argument("--from-layer", type=int, default=Recipe.from_layer)
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--lr", type=float, default=Recipe.lr)
    parser.add_argument("--hard-negatives", type=int, default=Recipe.hard_negatives)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="final: artifact folder")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    parser.add_argument("--version", default="match-minilm-ft-1")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"{args.data}: no such file")
    torch.set_num_threads(args.threads)
    recipe = Recipe(from_layer=args.from_layer, epochs=args.epochs, lr=args.lr, hard_negatives=args.hard_negatives,
                    seed=args.seed)  # fmt: skip
    log = lambda message: print(message, flush=True)  # noqa: E731
    data = eval_matching.load(args.data, ("train", "dev"))
    train_ids = sorted(qid for qid, _ in data.queries["train"] if data.qrels["train"].get(qid))
    held = set(random.Random(1234).sample(train_ids, len(train_ids) // 5))  # noqa: S311 -- a fixed split
    held_queries = [(qid, text) for qid, text in data.queries["train"] if qid in held]
    started = time.perf_counter()
    if args.mode == "base":
        model, _ = build_model(recipe)
        model.eval()
        result = score(model, data, {"held": held_queries, "dev": data.queries["dev"]})
    elif args.mode == "experiment":
        model = train(data, set(train_ids) - held, recipe, log=log)
        result = {"train seconds": round(time.perf_counter() - started, 1)}
        result.update(score(model, data, {"held": held_queries, "dev": data.queries["dev"]}))
    else:
        if not args.out:
            parser.error("final needs --out")
        model = train(data, set(train_ids), recipe, log=log)
        result = {"train seconds": round(time.perf_counter() - started, 1), "train queries": len(train_ids)}
        export(model, recipe, args.out, {"version": args.version})
        # scored with the stored weights (float16 → float32), then recorded in the model card's model.json
        result.update(score(load_stored(recipe, args.out / "weights.safetensors"), data, {"dev": data.queries["dev"]}))
        meta_path = args.out / "model.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["measured"] = dict(result)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        result["weights_sha256"] = meta["weights_sha256"]
    result["recipe"] = asdict(recipe)
    log(json.dumps(result, indent=2))
    if args.report:
        args.report.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
