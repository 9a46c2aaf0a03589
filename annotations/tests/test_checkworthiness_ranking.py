"""Article-shaped ranking on the seed articles, end to end (import → segmentation task → stored scores), checked
against the hand-labelled sentences in ``fixtures/checkworthiness_seeds.json``."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations import selectors, services
from annotations.domain import checkworthiness
from annotations.domain.article_files import read_article_file
from annotations.models import Claim, ClaimState

ROOT = Path(__file__).resolve().parents[2]
LABELS = json.loads((Path(__file__).parent / "fixtures" / "checkworthiness_seeds.json").read_text(encoding="utf-8"))
SEEDS = sorted(LABELS["articles"])


def _top_ten(project, name: str) -> list[str]:
    record = next(read_article_file(ROOT / "seeds" / name, max_bytes=10**7))
    document = services.document_import(project=project, title=record.title, body=record.body).document
    assert services.document_segment(document_id=document.pk).status == "done"
    return list(Claim.objects.filter(document=document).order_by("-score", "start").values_list("text", flat=True)[:10])


def _problems(top: list[str], labels: dict) -> list[str]:
    problems = [f"not checkable in the top 10: {t!r}" for t in top if any(n in t for n in labels["not_checkable"])]
    for group in labels["same_claim"]:
        hits = [t for t in top if any(part in t for part in group)]
        if len(hits) > 1:
            problems.append(f"one claim twice in the top 10: {hits!r}")
    return problems


@pytest.fixture
def encoder():
    reason = checkworthiness.encoder_unavailable_reason()
    if reason:
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    checkworthiness.allow_encoder()
    yield checkworthiness.load_default()
    checkworthiness.allow_encoder(False)


@pytest.mark.parametrize("name", SEEDS)
def test_the_top_ten_of_a_seed_article_are_distinct_checkable_claims(project, name):
    top = _top_ten(project, name)  # this test process scores with the TF-IDF model, as CI does

    assert len(set(top)) == 10
    assert _problems(top, LABELS["articles"][name]) == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "putin-abandons-maduro-russia-evacuates-citizens.txt",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known gap: the encoder scores the Rouvinski quote (an expert's prediction, in quotes) 0.75, "
                "below some twenty factual sentences of this article; the letter and the deployment are in the top 10",
            ),
        ),
        "russias-role-in-venezuela-will-putin-save-maduro.txt",
    ],
)
def test_with_the_encoder_the_top_ten_of_a_seed_article_hold_the_shared_claims(project, encoder, name):
    labels = LABELS["articles"][name]

    top = _top_ten(project, name)

    missing = [claim for claim, parts in labels["shared"].items() if not any(p in t for t in top for p in parts)]
    assert missing == [], top
    assert _problems(top, labels) == []


def test_a_summary_bullet_is_stored_below_the_check_worthy_line_and_the_body_sentence_above(project):
    name = "putin-abandons-maduro-russia-evacuates-citizens.txt"
    _top_ten(project, name)
    threshold = selectors.checkworthy_threshold()

    bullet = Claim.objects.get(text__startswith="- Leaked documents reveal Maduro pleaded")
    body = Claim.objects.get(text__startswith="Leaked documents obtained by the Washington Post")

    assert bullet.score < threshold <= body.score


# ---- feedback: reviewers' decisions as training rows, and the accept rate by score on the desk page -----------


@pytest.fixture
def decided(project, reviewer):
    document = services.document_import(project=project, title="Jobs", body="Wages rose 4 percent. Thanks a lot. "
                                        "Prices fell 2 percent in May.").document  # fmt: skip
    services.document_segment(document_id=document.pk)
    wages, thanks, prices = Claim.objects.filter(document=document).order_by("start")
    Claim.objects.filter(pk=wages.pk).update(state=ClaimState.ACCEPTED, score=0.9)
    Claim.objects.filter(pk=thanks.pk).update(state=ClaimState.DISMISSED, score=0.1)
    Claim.objects.filter(pk=prices.pk).update(state=ClaimState.DISMISSED, score=0.95)
    return document


def test_the_feedback_export_writes_accepted_as_one_and_dismissed_as_zero(decided, project, tmp_path):
    out = tmp_path / "feedback.jsonl"
    err = io.StringIO()

    call_command("export_checkworthiness_feedback", project=["politics"], output=out, stderr=err)

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["label"], r["sources"]) for r in rows] == [
        ("Prices fell 2 percent in May.", 0, ["dismissed"]),
        ("Thanks a lot.", 0, ["dismissed"]),
        ("Wages rose 4 percent.", 1, ["accepted"]),
    ]
    assert "3 rows (1 check-worthy, 2 not)" in err.getvalue()


def test_an_annotated_span_is_a_check_worthy_row_even_if_its_claim_was_dismissed_before(decided, reviewer):
    prices = Claim.objects.get(text__startswith="Prices")
    services.annotation_create(document=decided, author=reviewer, start=prices.start, end=prices.end,
                               quote=prices.text, claim=prices)  # fmt: skip

    rows = {row.text: row for row in selectors.checkworthiness_feedback()}

    assert rows[prices.text].label == 1 and "annotated" in rows[prices.text].sources


def test_the_feedback_export_names_an_unknown_desk(db):
    with pytest.raises(CommandError, match="no project with slug 'nope'"):
        call_command("export_checkworthiness_feedback", project=["nope"], stdout=io.StringIO())


def test_the_training_command_adds_the_exported_feedback_rows(decided, tmp_path, monkeypatch):
    from annotations.research import checkworthiness_training

    data = tmp_path / "ct24"
    data.mkdir()
    (data / "CT24_checkworthy_english_train.tsv").write_text(
        "Sentence_id\tText\tclass_label\n1\tCrime rose 12 percent.\tYes\n2\tGood evening.\tNo\n"
        "3\tTaxes fell by half in 2019.\tYes\n4\tThank you all.\tNo\n",
        encoding="utf-8",
    )
    feedback = tmp_path / "feedback.jsonl"
    call_command("export_checkworthiness_feedback", output=feedback, stderr=io.StringIO())
    toy = checkworthiness_training.TrainConfig(word_min_df=1, char_min_df=1)  # seven sentences
    monkeypatch.setattr(checkworthiness_training, "TrainConfig", lambda: toy)
    out = io.StringIO()

    call_command("train_checkworthiness", data=data, out=tmp_path / "model", feedback=[feedback],
                 ranking=tmp_path / "none.zip", stdout=out)  # fmt: skip

    assert "train: 7 sentences (3 Yes, 3 from feedback)" in out.getvalue()
    assert json.loads((tmp_path / "model" / "metrics.json").read_text())["train"]["feedback"] == 3


def test_the_training_command_names_a_bad_feedback_file(tmp_path):
    data = tmp_path / "ct24"
    data.mkdir()
    (data / "CT24_checkworthy_english_train.tsv").write_text("Sentence_id\tText\tclass_label\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Crime rose."}\n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"bad\.jsonl: line 1: not a feedback row"):
        call_command("train_checkworthiness", data=data, out=tmp_path / "m", feedback=[bad], stdout=io.StringIO())


def test_the_desk_page_shows_how_often_reviewers_accept_claims_at_each_score(client, reviewer, decided):
    client.force_login(reviewer)

    response = client.get(f"/projects/{decided.project.slug}/")

    bands = {(b.low, b.high): (b.accepted, b.dismissed) for b in response.context["score_bands"]}
    assert bands == {(0.0, 0.2): (0, 1), (0.2, 0.4): (0, 0), (0.4, 0.6): (0, 0), (0.6, 0.8): (0, 0),
                     (0.8, 1.0): (1, 1)}  # fmt: skip
    assert b'aria-label="accept rate 50%"' in response.content


def test_the_web_pages_read_the_threshold_without_loading_a_model(client, reviewer, decided, monkeypatch):
    def no_model(*args):
        raise AssertionError("the web process loaded a check-worthiness model")

    for name in ("load_default", "load_light", "load", "load_encoder_model", "model_for"):
        monkeypatch.setattr(checkworthiness, name, no_model)
    client.force_login(reviewer)

    assert client.get(f"/projects/{decided.project.slug}/").status_code == 200
    assert client.get(f"/documents/{decided.pk}/").status_code == 200
