import hashlib
import json
import zipfile

import numpy as np
import pytest
from scipy import sparse

from annotations.domain import checkworthiness
from annotations.domain.checkworthiness import load_default
from annotations.research import checkworthiness_training
from annotations.research.checkworthiness_training import TrainConfig, save, train
from annotations.research.eval_checkworthiness import (
    f1_report,
    load_ct24,
    load_ranking_transcripts,
    mean_average_precision,
)

CLAIM = "Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years."
TOY_TEXTS = [
    "Unemployment fell to 3.5 percent in 2019.",
    "We cut taxes by 20 percent for the middle class.",
    "The deficit doubled to $1.2 trillion last year.",
    "Crime rose 12 percent in our cities since 2015.",
    "Thank you very much.",
    "Good evening, everyone.",
    "I love this country.",
    "Thank you, and God bless America.",
]
TOY_LABELS = [1, 1, 1, 1, 0, 0, 0, 0]
TOY_CONFIG = TrainConfig(word_min_df=1, char_min_df=1)


# ---- the committed model -----------------------------------------------------------------------------


def test_the_default_model_loads_with_a_version_and_a_threshold():
    model = load_default()

    assert model.version.startswith("cw-")
    assert 0.0 < model.threshold < 1.0


def test_loading_the_default_model_twice_returns_the_same_cached_object():
    assert load_default() is load_default()


def test_scores_are_between_zero_and_one_with_one_score_per_input():
    texts = [CLAIM, "Good evening.", "Thank you very much.", "Crime doubled.", "¿Qué? 😀", "a" * 5000]

    scores = load_default().score(texts)

    assert len(scores) == len(texts)
    assert all(isinstance(score, float) and 0.0 <= score <= 1.0 for score in scores)


def test_an_obviously_factual_claim_outranks_greetings_and_thanks():
    claim, greeting, thanks = load_default().score([CLAIM, "Good evening.", "Thank you very much."])

    assert claim > greeting
    assert claim > thanks
    assert claim >= load_default().threshold > max(greeting, thanks)


def test_scoring_an_empty_list_returns_an_empty_list():
    assert load_default().score([]) == []


def test_an_empty_or_blank_string_gets_a_score_without_crashing():
    scores = load_default().score(["", "   ", "\n"])

    assert len(scores) == 3
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_a_sentence_scores_the_same_alone_and_in_a_batch():
    model = load_default()

    alone = model.score([CLAIM])[0]
    batched = model.score(["", "Good evening.", CLAIM, ""])[2]

    assert alone == pytest.approx(batched, abs=1e-12)


def test_the_committed_weights_match_the_hash_recorded_in_model_json():
    meta = json.loads((checkworthiness.MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((checkworthiness.MODEL_DIR / "weights.npz").read_bytes()).hexdigest()

    assert meta["weights_sha256"] == digest


# ---- training and the artifact ------------------------------------------------------------------------


def test_training_on_a_toy_dataset_is_deterministic_for_a_fixed_seed():
    first = train(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG)
    second = train(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG)

    assert np.array_equal(first.coef, second.coef)
    assert first.intercept == second.intercept
    assert first.score(TOY_TEXTS) == second.score(TOY_TEXTS)


def test_a_toy_model_learns_its_training_labels():
    model = train(TOY_TEXTS, ["Yes"] * 4 + ["No"] * 4, seed=0, config=TOY_CONFIG)

    assert model.is_checkworthy(TOY_TEXTS) == [bool(label) for label in TOY_LABELS]


def test_saving_the_same_model_twice_gives_identical_files_that_load_back_to_the_same_scores(tmp_path):
    model = train(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG)

    first = save(model, tmp_path / "a")
    second = save(train(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG), tmp_path / "b")
    loaded = checkworthiness.load(tmp_path / "a")

    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert loaded.score(TOY_TEXTS) == pytest.approx(model.score(TOY_TEXTS), abs=1e-12)
    assert (loaded.version, loaded.threshold) == (model.version, model.threshold)
    with np.load(tmp_path / "a" / "weights.npz", allow_pickle=False) as weights:
        assert all(weights[name].dtype != object for name in weights.files)


def test_the_numpy_scorer_reproduces_scikit_learns_probabilities():
    texts = [*TOY_TEXTS, "", "Taxes rose, taxes ROSE!", "Über-rich Café owners pay 0% tax", "a\tb  c\n\nd"]
    vectorizers, classifier = checkworthiness_training._fit_sklearn(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG)
    model = train(TOY_TEXTS, TOY_LABELS, seed=0, config=TOY_CONFIG)

    features = sparse.hstack([vectorizer.transform(texts) for vectorizer in vectorizers]).tocsr()
    expected = classifier.predict_proba(features)[:, 1]

    assert model.score(texts) == pytest.approx(expected.tolist(), abs=1e-6)


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_the_ngrams_are_the_ones_scikit_learn_counts(analyzer):
    from collections import Counter

    from sklearn.feature_extraction.text import TfidfVectorizer

    text = "It's 3.5% — the LOWEST rate in 50 years!  a I x\tyz"
    ngram_range = (1, 2) if analyzer == "word" else (2, 5)
    block = checkworthiness.make_block(analyzer, ngram_range, True, [], [])
    expected = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range).build_analyzer()(text)

    assert Counter(block.ngrams(text)) == Counter(expected)


# ---- evaluation helpers --------------------------------------------------------------------------------


def test_f1_report_counts_a_score_equal_to_the_threshold_as_positive():
    report = f1_report([0.9, 0.6, 0.4, 0.2, 0.5], [1, 0, 1, 0, 1], threshold=0.5)

    assert (report["tp"], report["fp"], report["fn"], report["n"]) == (2, 1, 1, 5)
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 3)
    assert report["f1"] == pytest.approx(2 / 3)


def test_f1_report_accepts_yes_no_labels_and_is_zero_without_predictions():
    report = f1_report([0.1, 0.2], ["Yes", "No"], threshold=0.5)

    assert (report["precision"], report["recall"], report["f1"]) == (0.0, 0.0, 0.0)
    assert (report["tp"], report["fp"], report["fn"]) == (0, 0, 1)


def test_mean_average_precision_breaks_ties_by_line_number_and_skips_transcripts_without_positives():
    table = {"a": 0.9, "b": 0.5, "c": 0.1, "x": 0.5, "y": 0.5, "n1": 0.3, "n2": 0.7}
    transcripts = [
        [(1, "a", 0), (2, "b", 1), (3, "c", 1)],  # ranked a, b, c: AP = (1/2 + 2/3) / 2 = 7/12
        [(2, "y", 1), (1, "x", 0)],  # tie: line 1 (x) ranks first, so AP = 1/2 (not 1)
        [(1, "n1", 0), (2, "n2", 0)],  # no positive: skipped
    ]

    result = mean_average_precision(transcripts, lambda texts: [table[t] for t in texts])

    assert result["map"] == pytest.approx((7 / 12 + 1 / 2) / 2)
    assert result["transcripts_used"] == 2
    assert result["transcripts_total"] == 3


def test_load_ct24_skips_the_header_and_splits_two_records_glued_together(tmp_path):
    path = tmp_path / "ct24.tsv"
    path.write_text(
        'Sentence_id\tText\tclass_label\n1\t"Taxes rose 5%."\tYes\n2\tWe must grow.\tNo3\tJobs fell.\tYes\n',
        encoding="utf-8",
    )

    texts, labels = load_ct24(path)

    assert texts == ['"Taxes rose 5%."', "We must grow.", "Jobs fell."]
    assert labels == [1, 0, 1]


def _transcript_tsv(rows):
    return "".join(f"{n}\tSPEAKER\t{text}\t{label}\n" for n, text, label in rows)


def test_ranking_transcripts_load_from_a_zip_split_or_a_folder_of_tsv_files(tmp_path):
    train_rows = [(1, "Good evening.", 0), (2, "Taxes rose 5%.", 1)]
    test_rows = [(1, "Thanks.", 0)]
    archive = tmp_path / "v2.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("v2.0/training/a.tsv", _transcript_tsv(train_rows))
        zf.writestr("v2.0/test/b.tsv", _transcript_tsv(test_rows))
    folder = tmp_path / "training"
    folder.mkdir()
    (folder / "a.tsv").write_text("line_number\tspeaker\ttext\tlabel\n" + _transcript_tsv(train_rows))

    assert load_ranking_transcripts(archive) == [train_rows]
    assert load_ranking_transcripts(archive, split="test") == [test_rows]
    assert sorted(load_ranking_transcripts(archive, split=None)) == sorted([train_rows, test_rows])
    assert load_ranking_transcripts(folder) == [train_rows]
    assert load_ranking_transcripts(folder, split="test") == [train_rows]  # a folder holding one split is used whole
    with pytest.raises(ValueError, match="no transcripts in a 'dev' folder"):
        load_ranking_transcripts(archive, split="dev")
