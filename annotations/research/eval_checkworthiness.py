"""Loading and scoring the check-worthiness benchmarks (research code: pure Python + numpy, no Django).

* CT24 (CLEF CheckThat! 2024 Task 1, English): one TSV per split, header ``Sentence_id  Text  class_label``
  with ``Yes``/``No`` labels. Metric: precision / recall / F1 of the ``Yes`` class at a threshold.
* CT20 Task 5 (political debates): one TSV per transcript, ``line_number  speaker  text  label`` (0/1, no
  header), in a zip (``v2.0/training/*.tsv``) or a folder. Metric: mean over transcripts of the average
  precision of the lines ranked by score (ties broken by line number), transcripts without a positive skipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

import numpy as np

Transcript = list[tuple[int, str, int]]

_TRUE = {"yes", "1", "true", "y"}
_FALSE = {"no", "0", "false", "n", ""}
# The CT24 train file has one row where the newline between two records is missing ("…grow.\tNo29286\t…").
_GLUED_LABEL = re.compile(r"(Yes|No)(\d+)")


def _as_label(value: object) -> int:
    if isinstance(value, bool | int | np.integer):
        return int(bool(value))
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise ValueError(f"not a binary label: {value!r}")


def _split_glued_records(fields: list[str]) -> list[list[str]]:
    """Undo a missing newline: [id, text, "No29286", text2, "No"] → [[id, text, "No"], ["29286", text2, "No"]]."""
    records, current = [], [fields[0]]
    for field in fields[1:]:
        glued = _GLUED_LABEL.fullmatch(field) if len(current) == 2 else None
        if glued:
            records.append([*current, glued.group(1)])
            current = [glued.group(2)]
        else:
            current.append(field)
    records.append(current)
    return records


def load_ct24_rows(path: str | Path) -> list[tuple[int, str, int]]:
    """``(Sentence_id, text, 0/1 label)`` of one CT24 TSV file, in file order (1 = ``Yes``, check-worthy)."""
    rows_out: list[tuple[int, str, int]] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row_number, row in enumerate(rows):
            if not row or not any(field.strip() for field in row):
                continue
            if row_number == 0 and row[0].strip().lower() == "sentence_id":
                continue
            for record in _split_glued_records(row) if len(row) > 3 else [row]:
                if len(record) != 3:
                    raise ValueError(f"{path}: line {row_number + 1}: expected 3 tab-separated fields, got {record!r}")
                try:
                    sentence_id = int(record[0])
                except ValueError:
                    raise ValueError(
                        f"{path}: line {row_number + 1}: Sentence_id {record[0]!r} is not an integer"
                    ) from None
                rows_out.append((sentence_id, record[1], _as_label(record[2])))
    return rows_out


def load_ct24(path: str | Path) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels (1 = ``Yes``, check-worthy) of one CT24 TSV file, in file order."""
    rows = load_ct24_rows(path)
    return [text for _, text, _ in rows], [label for *_, label in rows]


def load_feedback(path: str | Path) -> list[tuple[str, int]]:
    """``(text, 0/1 label)`` from the JSON lines of ``manage.py export_checkworthiness_feedback``."""
    import json

    rows: list[tuple[str, int]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, label = record["text"], _as_label(record["label"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}: line {number}: not a feedback row ({error})") from error
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}: line {number}: empty text")
            rows.append((text, label))
    return rows


def contiguous_folds(sentence_ids: Sequence[int], folds: int) -> list[np.ndarray]:
    """Row indices split into ``folds`` contiguous ``Sentence_id`` ranges of about equal size (sorted indices).

    CT24 has no debate column, but its ids run through the debates in order, so a contiguous range holds whole
    debates (at most one is cut at each edge): a grouped split, unlike a random one, which puts sentences of
    the same debate on both sides.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    if len(sentence_ids) < folds:
        raise ValueError(f"{len(sentence_ids)} rows cannot make {folds} folds")
    order = np.argsort(np.asarray(sentence_ids), kind="stable")
    return [np.sort(part) for part in np.array_split(order, folds)]


def f1_report(scores: Sequence[float], labels: Sequence[object], threshold: float) -> dict:
    """Precision, recall and F1 of the positive class when ``score >= threshold`` predicts positive."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    predicted = np.asarray(scores, dtype=float) >= threshold
    gold = np.array([_as_label(label) for label in labels], dtype=bool)
    tp = int(np.sum(predicted & gold))
    fp = int(np.sum(predicted & ~gold))
    fn = int(np.sum(~predicted & gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "n": len(gold)}


def _parse_transcript(text: str, name: str) -> Transcript:
    lines: Transcript = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) < 4:
            raise ValueError(f"{name}: line {number}: expected line_number, speaker, text, label")
        if not fields[0].strip().lstrip("-").isdigit():
            if number == 1:
                continue  # a header row
            raise ValueError(f"{name}: line {number}: line number {fields[0]!r} is not an integer")
        lines.append((int(fields[0]), "\t".join(fields[2:-1]), _as_label(fields[-1])))
    return lines


def _pick_split(names: list[PurePosixPath], split: str | None, root_name: str) -> list[PurePosixPath]:
    """The .tsv files of ``split``: those under a folder of that name; a path holding a single folder of
    transcripts (one split, or the split folder itself) is used whole."""
    if split is None or root_name == split:
        return names
    chosen = [name for name in names if split in name.parts[:-1]]
    if chosen:
        return chosen
    folders = {name.parent for name in names}
    if len(folders) <= 1:
        return names
    available = sorted({part for name in names for part in name.parts[:-1]})
    raise ValueError(f"no transcripts in a {split!r} folder; folders found: {', '.join(available)}")


def load_ranking_transcripts(path: str | Path, split: str | None = "training") -> list[Transcript]:
    """CT20 Task 5 transcripts as lists of ``(line_number, text, label)``, sorted by file path.

    ``path`` is a zip (read in place, never extracted) or a folder searched recursively for ``.tsv`` files;
    ``split`` picks the files under a folder of that name (``None``: all of them).
    """
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = {
                PurePosixPath(info.filename): info
                for info in archive.infolist()
                if not info.is_dir() and info.filename.endswith(".tsv") and "__MACOSX" not in info.filename
            }
            chosen = _pick_split(sorted(members), split, path.stem)
            return [_parse_transcript(_read_member(archive, members[name]), str(name)) for name in chosen]
    if path.is_dir():
        files = {PurePosixPath(p.relative_to(path).as_posix()): p for p in path.rglob("*.tsv") if p.is_file()}
        chosen = _pick_split(sorted(files), split, path.name)
        return [_parse_transcript(files[name].read_text(encoding="utf-8-sig"), str(name)) for name in chosen]
    if path.is_file() and path.suffix == ".tsv":
        return [_parse_transcript(path.read_text(encoding="utf-8-sig"), path.name)]
    raise FileNotFoundError(f"{path}: not a zip, a folder or a .tsv file")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    with archive.open(info) as member:
        return io.TextIOWrapper(member, encoding="utf-8-sig").read()


def average_precision(scores: Iterable[float], labels: Iterable[object], line_numbers: Iterable[int]) -> float:
    """AP of one ranking: by score descending, ties by line number ascending; 0.0 without a positive."""
    score_array = np.asarray(list(scores), dtype=float)
    gold = np.array([_as_label(label) for label in labels], dtype=float)
    lines = np.asarray(list(line_numbers))
    if not gold.any():
        return 0.0
    ranked = gold[np.lexsort((lines, -score_array))]
    precision_at_rank = np.cumsum(ranked) / np.arange(1, len(ranked) + 1)
    return float(np.sum(precision_at_rank * ranked) / ranked.sum())


def mean_average_precision(transcripts: Sequence[Transcript], score_fn: Callable[[list[str]], Sequence[float]]) -> dict:
    """Mean AP over the transcripts with at least one positive line; ``score_fn`` scores a list of texts."""
    precisions = []
    for transcript in transcripts:
        if not any(_as_label(label) for _, _, label in transcript):
            continue
        scores = list(score_fn([text for _, text, _ in transcript]))
        if len(scores) != len(transcript):
            raise ValueError(f"score_fn returned {len(scores)} scores for {len(transcript)} lines")
        precisions.append(
            average_precision(scores, [label for *_, label in transcript], [number for number, *_ in transcript])
        )
    return {
        "map": float(np.mean(precisions)) if precisions else 0.0,
        "transcripts_used": len(precisions),
        "transcripts_total": len(transcripts),
        "lines": sum(len(transcript) for transcript in transcripts),
        "positives": sum(_as_label(label) for transcript in transcripts for *_, label in transcript),
    }
