"""Loaders and metrics for measuring a sentence segmenter (used by ``bench_nlp segmentation``).

Two data sets, both read in place (never copied into the repository):

* the pySBD English "golden rules": JSON Lines ``{"id", "text", "expected": [sentences]}``;
* CLEF CheckThat! 2020 Task 5 transcripts: one TSV per transcript, ``line_number speaker text label``,
  one organiser-segmented sentence per line, in a zip (``v2.0/<split>/*.tsv``) or a folder.

Every function takes the segmenter as an argument so that any ``str -> [Segment]`` callable
(an object with an ``end`` and a ``text`` attribute per sentence) can be compared.
"""

import json
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol


class _Sentence(Protocol):
    @property
    def end(self) -> int: ...

    @property
    def text(self) -> str: ...


SegmentFn = Callable[[str], Sequence[_Sentence]]


def load_golden_rules(path: str | Path) -> list[dict[str, Any]]:
    """The golden-rule cases of a ``.jsonl`` file, in file order (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def golden_rules_score(cases: Iterable[dict[str, Any]], segment_fn: SegmentFn) -> dict[str, Any]:
    """Exact-match score: a case passes when the segment texts equal the stripped expected sentences."""
    cases = list(cases)
    failed = [
        case["id"]
        for case in cases
        if [s.text for s in segment_fn(case["text"])] != [e.strip() for e in case["expected"]]
    ]
    total = len(cases)
    passed = total - len(failed)
    return {"passed": passed, "total": total, "rate": passed / total if total else 0.0, "failed": failed}


def _sentences_of_tsv(data: bytes) -> list[str]:
    """The sentence column of one transcript, in line-number order.

    Lines are tab-split by hand (not with ``csv``: the text contains bare double quotes); a header row
    (a first column that is not a number) and rows without a text column are skipped. Sentences are
    stripped: two organiser lines carry a stray trailing space, which no segmenter can reproduce.
    """
    rows: list[tuple[int, str]] = []
    for line in data.decode("utf-8-sig").splitlines():
        columns = line.split("\t")
        if len(columns) < 3 or not columns[0].strip().isdigit():
            continue
        rows.append((int(columns[0]), columns[2].strip()))
    rows.sort(key=lambda row: row[0])
    return [text for _, text in rows if text]


def _pick_split(names: list[str], split: str | None) -> list[str]:
    """The names under a folder called ``split``; all names when ``split`` is None or when they all sit in
    one folder (the data holds a single split, whatever its name). Raises ValueError for a split that is
    missing among several."""
    if split is None:
        return names
    chosen = [name for name in names if split in PurePosixPath(name).parts[:-1]]
    folders = sorted({str(PurePosixPath(name).parent) for name in names})
    if chosen or len(folders) <= 1:
        return chosen or names
    raise ValueError(f"no split {split!r} in the transcripts; folders found: {', '.join(folders)}")


def load_transcripts(path: str | Path, split: str | None = "training") -> list[list[str]]:
    """Sentences of every transcript, one list per ``.tsv`` file, files in name order.

    ``path`` is a zip (read with ``zipfile``, nothing extracted) or a folder searched recursively.
    ``split`` picks the sub-folder of that name (``training``, ``test``…); when the data holds one folder
    of transcripts only — the path already is one split, or a flat folder — that folder is used whatever
    its name. ``split=None`` always uses every transcript.
    """
    path = Path(path)
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p for p in path.rglob("*.tsv")}
        return [_sentences_of_tsv(files[name].read_bytes()) for name in _pick_split(sorted(files), split)]
    with zipfile.ZipFile(path) as archive:
        names = sorted(name for name in archive.namelist() if name.endswith(".tsv"))
        return [_sentences_of_tsv(archive.read(name)) for name in _pick_split(names, split)]


def boundary_f1(transcripts: Iterable[list[str]], segment_fn: SegmentFn) -> dict[str, Any]:
    """Micro-averaged sentence-boundary precision/recall/F1 over transcripts, plus speed.

    Per transcript the sentences are joined with single spaces; gold boundaries are the end offsets of
    every sentence but the last, predicted ones the ``end`` of every segment but the last; only an exact
    offset match counts. ``seconds`` is the wall time spent inside ``segment_fn`` alone.
    """
    tp = fp = fn = chars = 0
    seconds = 0.0
    for sentences in transcripts:
        text = " ".join(sentences)
        gold: set[int] = set()
        offset = 0
        for sentence in sentences[:-1]:
            offset += len(sentence)
            gold.add(offset)
            offset += 1
        started = time.perf_counter()
        segments = segment_fn(text)
        seconds += time.perf_counter() - started
        predicted = {s.end for s in segments[:-1]}
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        chars += len(text)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "chars": chars,
        "seconds": seconds,
        "chars_per_second": chars / seconds if seconds else 0.0,
    }
