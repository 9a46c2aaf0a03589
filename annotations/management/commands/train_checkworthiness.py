import hashlib
import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotations.domain import checkworthiness
from annotations.research import checkworthiness_training, eval_checkworthiness

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"


class Command(BaseCommand):
    help = (
        "Train the check-worthiness model on CT24 English train (only), evaluate it on dev and dev-test "
        "(and, if given, MAP over CT20 Task 5 transcripts) and write the artifact."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data",
            type=Path,
            default=DATA / "checkworthiness_ct24_en",
            help="Folder with CT24_checkworthy_english_{train,dev,dev-test}.tsv (default ../shared/data/…).",
        )
        parser.add_argument(
            "--out", type=Path, default=checkworthiness.MODEL_DIR, help="Artifact folder (default: the committed one)."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--ranking",
            type=Path,
            default=DATA / "debates_ct20_task5" / "v2.zip",
            help="CT20 Task 5 transcripts (zip or folder) for MAP; skipped if missing.",
        )
        parser.add_argument("--ranking-split", default="training")
        parser.add_argument(
            "--feedback",
            type=Path,
            action="append",
            default=[],
            help="Training rows from export_checkworthiness_feedback (JSON lines), added to CT24 train (repeatable).",
        )
        parser.add_argument(
            "--cv",
            type=int,
            metavar="FOLDS",
            help="Only measure: cross-validation on CT24 train+dev grouped by source (contiguous Sentence_id "
            "ranges), F1(Yes) at the fixed threshold per fold; writes nothing.",
        )
        parser.add_argument(
            "--cv-train-rows",
            type=int,
            default=0,
            metavar="N",
            help="With --cv: fit each fold on a random sample of N of its training rows (as the encoder's CV did).",
        )

    def handle(self, *args, **options):
        data: Path = options["data"]
        train_file = data / checkworthiness_training.CT24_FILES["train"]
        if not train_file.exists():
            raise CommandError(f"{train_file}: no such file (pass --data DIR)")

        if options["cv"]:
            self._cross_validate(data, options["cv"], options["seed"], options["cv_train_rows"])
            return
        feedback = []
        for path in options["feedback"]:
            try:
                feedback.extend(eval_checkworthiness.load_feedback(path))
            except OSError as error:
                raise CommandError(f"{path}: cannot read ({error.strerror})") from None
            except ValueError as error:
                raise CommandError(str(error)) from None

        started = time.perf_counter()
        model, report = checkworthiness_training.train_ct24(data, seed=options["seed"], feedback=feedback)
        train_seconds = time.perf_counter() - started

        ranking: Path = options["ranking"]
        if ranking.exists():
            transcripts = eval_checkworthiness.load_ranking_transcripts(ranking, split=options["ranking_split"])
            report[f"ct20_t5_{options['ranking_split']}"] = eval_checkworthiness.mean_average_precision(
                transcripts, model.score
            )

        out: Path = options["out"]
        files = checkworthiness_training.save(model, out)
        metrics = out / "metrics.json"
        metrics.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        files.append(metrics)

        features = ", ".join(f"{name} {count}" for name, count in report["features"].items())
        self.stdout.write(f"model {model.version}  seed {options['seed']}  trained in {train_seconds:.1f} s")
        self.stdout.write(
            f"train: {report['train']['n']} sentences ({report['train']['positives']} Yes, "
            f"{report['train']['feedback']} from feedback); {features}"
        )
        self.stdout.write(f"threshold {model.threshold} (fixed; class-balanced training)")
        for split in ("dev", "dev-test"):
            if split in report:
                r = report[split]
                self.stdout.write(
                    f"{split:<9} P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f} "
                    f"(tp {r['tp']}, fp {r['fp']}, fn {r['fn']}, n {r['n']})"
                )
        for key, value in report.items():
            if key.startswith("ct20_t5_"):
                self.stdout.write(
                    f"{key} MAP={value['map']:.4f} over {value['transcripts_used']} transcripts "
                    f"({value['lines']} lines, {value['positives']} positive)"
                )
        total = 0
        for path in files:
            size = path.stat().st_size
            total += size
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            self.stdout.write(f"  {path}  {size / 1e6:.3f} MB  sha256 {digest}")
        self.stdout.write(self.style.SUCCESS(f"artifact {out}: {total / 1e6:.3f} MB"))

    def _cross_validate(self, data: Path, folds: int, seed: int, train_rows: int) -> None:
        if folds < 2:
            raise CommandError("--cv needs at least 2 folds")
        started = time.perf_counter()
        result = checkworthiness_training.grouped_cv(data, folds=folds, seed=seed, train_rows_per_fold=train_rows)
        for number, fold in enumerate(result["folds"], start=1):
            low, high = fold["ids"]
            self.stdout.write(
                f"fold {number}: Sentence_id {low}..{high} (n {fold['n']}): P={fold['precision']:.4f} "
                f"R={fold['recall']:.4f} F1={fold['f1']:.4f}"
            )
        self.stdout.write(
            f"grouped CV, {folds} folds, threshold 0.5: F1(Yes) {result['f1_mean']:.4f} ± {result['f1_std']:.4f} "
            f"(min {result['f1_min']:.4f}, max {result['f1_max']:.4f}) in {time.perf_counter() - started:.0f} s"
        )
