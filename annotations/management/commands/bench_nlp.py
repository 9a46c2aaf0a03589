import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
DEFAULTS = {
    "anchoring": [DATA / "debates_ct20_task5" / "v2.zip"],
    "segmentation": [DATA / "sbd_golden_rules" / "english_golden_rules.jsonl", DATA / "debates_ct20_task5" / "v2.zip"],
    "checkworthiness": [DATA / "checkworthiness_ct24_en" / "CT24_checkworthy_english_dev-test.tsv"],
    "ranking": [DATA / "debates_ct20_task5" / "v2.zip"],
    "matching": [DATA / "claim_retrieval_ct20_task2" / "v3.zip"],
    # Saved news pages with hand-marked main text: part of the repository (invented articles, ours to ship).
    "extraction": [Path(settings.BASE_DIR) / "annotations" / "tests" / "fixtures" / "extraction"],
}


class Command(BaseCommand):
    help = (
        "Measure the NLP components on labelled data. segmentation: a golden-rules .jsonl and/or CT20 T5 "
        "transcripts (zip or folder of .tsv); checkworthiness: CT24 .tsv files; ranking: CT20 T5 transcripts; "
        "extraction: a folder of saved news pages NAME.html with their main text NAME.txt (shingle F1 per extractor); "
        "anchoring: CT20 T5 transcripts, 1,000 random spans re-anchored after synthetic edits (tuning and held-out "
        "halves); matching: CT20 T2 claims and tweets (zip or folder), MAP@5 per split (train was used to choose "
        "settings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task", choices=sorted(DEFAULTS))
        parser.add_argument(
            "--data", type=Path, action="append", help="Data file or folder (repeatable). Default: ../shared/data/…"
        )
        parser.add_argument("--split", default="training", help="Transcript split inside a zip (default training).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
        parser.add_argument(
            "--mode",
            choices=["lexical", "hybrid"],
            default="lexical",
            help="matching: BM25F alone, or fused with MiniLM embeddings (optional packages; minutes on 2 cores).",
        )
        parser.add_argument(
            "--model",
            choices=["both", "encoder", "tfidf"],
            default="both",
            help="checkworthiness/ranking: which model(s) to measure (both: the encoder when it can load).",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="checkworthiness/ranking: BLAS threads while timing (default 1)."
        )

    def handle(self, *args, task: str, **options):
        paths = options["data"] or DEFAULTS[task]
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or folder (pass --data PATH)")
        self.mode = options["mode"]
        self.model_choice, self.threads = options["model"], options["threads"]
        results = {str(path): getattr(self, f"_{task}")(path, options["split"]) for path in paths}
        if options["json"]:
            self.stdout.write(json.dumps({"task": task, "results": results}, indent=2))
            return
        for path, metrics in results.items():
            self.stdout.write(f"{task} · {path}")
            width = max(22, *(len(key) for key in metrics))
            for key, value in metrics.items():
                shown = f"{value:.4f}" if isinstance(value, float) else value
                self.stdout.write(f"  {key:<{width}} {shown}")

    def _segmentation(self, path: Path, split: str) -> dict:
        from annotations.domain.segmentation import SEGMENTER_VERSION, segment
        from annotations.research import eval_segmentation

        if path.suffix == ".jsonl":
            result = eval_segmentation.golden_rules_score(eval_segmentation.load_golden_rules(path), segment)
        else:
            result = eval_segmentation.boundary_f1(eval_segmentation.load_transcripts(path, split=split), segment)
        return {"segmenter": SEGMENTER_VERSION, **result}

    def _anchoring(self, path: Path, split: str) -> dict:
        from annotations.research import eval_anchoring, eval_segmentation

        transcripts = eval_segmentation.load_transcripts(path, split=split)
        if not any(transcripts):
            raise CommandError(f"{path}: no transcript sentences found")
        return eval_anchoring.run(transcripts)

    def _models(self) -> list:
        """The check-worthiness models to measure: (kind, model or the reason it cannot load)."""
        from annotations.domain import checkworthiness

        kinds = ["tfidf", "encoder"] if self.model_choice == "both" else [self.model_choice]
        models = []
        for kind in kinds:
            reason = checkworthiness.encoder_unavailable_reason() if kind == "encoder" else ""
            if not reason:
                try:
                    models.append((kind, checkworthiness.load_model(kind)))
                    continue
                except (ImportError, OSError, ValueError) as error:
                    reason = str(error)
            if self.model_choice != "both":
                raise CommandError(f"the {kind} model cannot load: {reason}")
            models.append((kind, reason))
        return models

    def _timed(self, score, texts: list[str]) -> tuple[list[float], float]:
        """Scores and milliseconds per text, with BLAS limited to ``--threads`` threads."""
        import time

        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.threads):
            started = time.perf_counter()
            scores = list(score(texts))
            seconds = time.perf_counter() - started
        return scores, 1000 * seconds / max(1, len(texts))

    def _checkworthiness(self, path: Path, split: str) -> dict:
        from annotations.research import eval_checkworthiness

        files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
        data = [(file, *eval_checkworthiness.load_ct24(file)) for file in files]
        report: dict = {"threads": self.threads}
        for kind, model in self._models():
            if isinstance(model, str):
                report[f"{kind}.unavailable"] = model
                continue
            report[f"{kind}.model"] = model.version
            report[f"{kind}.threshold"] = model.threshold
            for file, texts, labels in data:
                scores, ms = self._timed(model.score, texts)
                prefix = f"{kind}.{file.stem}" if len(files) > 1 else kind
                for key, value in eval_checkworthiness.f1_report(scores, labels, model.threshold).items():
                    report[f"{prefix}.{key}"] = value
                report[f"{prefix}.ms_per_sentence"] = round(ms, 3)
        return report

    def _ranking(self, path: Path, split: str) -> dict:
        from annotations.research import eval_checkworthiness

        transcripts = eval_checkworthiness.load_ranking_transcripts(path, split=split)
        report: dict = {"threads": self.threads}
        for kind, model in self._models():
            if isinstance(model, str):
                report[f"{kind}.unavailable"] = model
                continue
            spent = []

            def score(texts, model=model, spent=spent):
                scores, ms = self._timed(model.score, texts)
                spent.append((ms, len(texts)))
                return scores

            result = eval_checkworthiness.mean_average_precision(transcripts, score)
            report[f"{kind}.model"] = model.version
            report.update({f"{kind}.{key}": value for key, value in result.items()})
            lines = sum(n for _, n in spent)
            report[f"{kind}.ms_per_sentence"] = round(sum(ms * n for ms, n in spent) / max(1, lines), 3)
        return report

    def _extraction(self, path: Path, split: str) -> dict:
        from annotations.domain.article_files import EXTRACTOR
        from annotations.research import eval_extraction

        pages = eval_extraction.load_pages(path)
        if not pages:
            raise CommandError(f"{path}: no NAME.html with a NAME.txt beside it")
        report = eval_extraction.evaluate(pages, eval_extraction.configurations())
        ranked = sorted(report.items(), key=lambda item: -item[1]["f1"])
        result = {"pages": len(pages), "in use": EXTRACTOR}
        for name, scores in ranked:
            result[f"{name} · F1"] = round(scores["f1"], 4)
            result[f"{name} · P/R"] = f"{scores['precision']:.3f}/{scores['recall']:.3f}"
        loo = eval_extraction.leave_one_out(report)
        result["chosen by mean F1, scored leave-one-out"] = round(loo["f1"], 4)
        result["leave-one-out picks"] = ", ".join(f"{name} ×{n}" for name, n in loo["picks"].items())
        return result

    def _matching(self, path: Path, split: str) -> dict:
        from annotations.research import eval_matching

        try:
            return eval_matching.benchmark(eval_matching.load(path), mode=self.mode)
        except (ValueError, ImportError) as error:
            raise CommandError(f"{path}: {error}") from error
