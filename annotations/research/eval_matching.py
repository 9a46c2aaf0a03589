"""Loading and scoring the claim-matching benchmark (research code: pure Python, no Django).

CheckThat! 2020 Task 2 (verified-claim retrieval), as in ``v3.zip`` or a folder holding its ``v3.0/``:

* ``verified_claims.docs.tsv``: header ``vclaim_id  vclaim  title``; quoted TSV (a dozen claims span two
  lines inside quotes, and straight quotes inside a field are doubled), so it is read with ``csv``.
* ``{split}/tweets.queries.tsv``: header ``tweet_id  tweet_content``.
* ``{split}/tweet-vclaim-pairs.qrels``: TREC qrels ``tweet_id 0 vclaim_id 1``.

Metric: MAP@5 as the official scorer computes it (average precision over the top 5, divided by the number
of relevant claims of the query), plus MRR and P@1 over the same top 5, and the build and query times.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from annotations.domain.matching import Mode, Settings, build_index

Search = Callable[[str, int], list[tuple[str, float]]]


@dataclass(frozen=True)
class Benchmark:
    claims: list[tuple[str, str, str]]  # (vclaim_id, vclaim, title)
    queries: dict[str, list[tuple[str, str]]]  # split → [(tweet_id, tweet)]
    qrels: dict[str, dict[str, set[str]]]  # split → tweet_id → relevant vclaim_ids


@contextmanager
def _opener(path: Path) -> Iterator[Callable[[str], str | None]]:
    """``read(name)`` → text of the file whose path ends with ``name`` (None if absent), zip or folder."""
    if path.is_dir():
        files = {file.relative_to(path).as_posix(): file for file in path.rglob("*") if file.is_file()}

        def read(name: str) -> str | None:
            match = next((file for key, file in sorted(files.items()) if _ends_with(key, name)), None)
            return match.read_text(encoding="utf-8-sig") if match else None

        yield read
        return
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())

        def read(name: str) -> str | None:
            match = next((key for key in names if _ends_with(key, name)), None)
            return archive.read(match).decode("utf-8-sig") if match else None

        yield read


def _ends_with(key: str, name: str) -> bool:
    return PurePosixPath(key).parts[-len(PurePosixPath(name).parts) :] == PurePosixPath(name).parts


def _rows(text: str) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter="\t") if any(row)]
    return rows[1:] if rows and not rows[0][0].strip().isdigit() else rows


def load(path: str | Path, splits: Sequence[str] = ("train", "dev", "test")) -> Benchmark:
    """The claims and, for each split present with both queries and qrels, its queries and qrels."""
    queries: dict[str, list[tuple[str, str]]] = {}
    qrels: dict[str, dict[str, set[str]]] = {}
    with _opener(Path(path)) as read:
        claims_text = read("verified_claims.docs.tsv")
        if claims_text is None:
            raise ValueError(f"{path}: no verified_claims.docs.tsv")
        claims = [
            (row[0].strip(), row[1].strip(), row[2].strip() if len(row) > 2 else "") for row in _rows(claims_text)
        ]
        for split in splits:
            query_text, qrels_text = read(f"{split}/tweets.queries.tsv"), read(f"{split}/tweet-vclaim-pairs.qrels")
            if query_text is None or qrels_text is None:
                continue
            queries[split] = [(row[0].strip(), row[1]) for row in _rows(query_text)]
            pairs: dict[str, set[str]] = {}
            for line in qrels_text.splitlines():
                fields = line.split()
                if len(fields) == 4 and fields[3] != "0":
                    pairs.setdefault(fields[0], set()).add(fields[2])
            qrels[split] = pairs
    return Benchmark(claims, queries, qrels)


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    """AP@k as the CheckThat! scorer computes it: precision at each relevant hit in the top k, over |relevant|."""
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def evaluate(
    search: Search, queries: Sequence[tuple[str, str]], qrels: Mapping[str, set[str]], k: int = 5
) -> dict[str, float | int]:
    """MAP@k, MRR@k and P@1 of ``search`` over the queries that have qrels, and its latency per query."""
    ap, rr, p1, times = [], [], [], []
    for query_id, text in queries:
        relevant = qrels.get(query_id)
        if not relevant:
            continue
        start = time.perf_counter()
        ranked = [item for item, _ in search(text, k)]
        times.append((time.perf_counter() - start) * 1000)
        ap.append(average_precision(ranked, relevant, k))
        rank = next((i for i, item in enumerate(ranked, start=1) if item in relevant), None)
        rr.append(1 / rank if rank else 0.0)
        p1.append(float(bool(ranked) and ranked[0] in relevant))
    if not ap:
        raise ValueError("no query with relevance judgements")
    times.sort()
    return {
        "queries": len(ap),
        f"map@{k}": statistics.fmean(ap),
        "mrr": statistics.fmean(rr),
        "p@1": statistics.fmean(p1),
        "ms/query median": statistics.median(times),
        "ms/query p95": times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)],
    }


def benchmark(
    data: Benchmark, settings: Settings | None = None, k: int = 5, mode: Mode = "lexical"
) -> dict[str, float | int | str]:
    """Build the index over claim + title (two fields) once, timed, then score every split with qrels.

    In hybrid mode the build time includes embedding every claim and title (and loading the model).

    The settings were chosen on ``train``; ``dev`` (and ``test``, if present) are the held-out numbers.
    """
    if not data.claims:
        raise ValueError("no verified claims")
    start = time.perf_counter()
    items = ((claim_id, (claim, title)) for claim_id, claim, title in data.claims)
    index = build_index(items, settings or Settings(), mode=mode)
    report: dict[str, float | int | str] = {
        "mode": mode,
        "claims": len(index),
        "build seconds": time.perf_counter() - start,
    }
    if index.encoder is not None:
        report["encoder"] = getattr(index.encoder, "version", type(index.encoder).__name__)
    for split, queries in data.queries.items():
        label = f"{split} (used for choosing)" if split == "train" else split
        for key, value in evaluate(index.search, queries, data.qrels[split], k).items():
            report[f"{label} · {key}"] = value
    return report
