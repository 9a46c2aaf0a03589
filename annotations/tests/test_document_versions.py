"""Versions of an article (issue 15, items 1 and 3): a corrected text is a new version of its document, old
versions stay readable, a diff between any two, and every annotation and claim is placed on the new text —
moved, flagged "changed" (and sent back for a re-check) or listed as an orphan, never silently dropped."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.domain.vocabulary import AnchoringStatus, AnchorState, AnnotationStatus, ClaimOrigin, ClaimState
from annotations.models import Annotation, AuditEvent, Claim, Document, DocumentVersion, Notification, Role
from annotations.tests.factories import MembershipFactory, UserFactory

SEED = Path(__file__).resolve().parents[2] / "seeds" / "putin-abandons-maduro-russia-evacuates-citizens.txt"
SOURCE = "https://example.org/putin-abandons-maduro"
INSERTED_AFTER = "embattled Venezuelan President Nicolás Maduro.\n"
INSERTED = "Update, December 3: Russian state media said the flights were routine and not political.\n"
CORRECTED = ("deploys 11 warships and 15,000 troops", "deploys 12 warships and 16,000 troops")
DELETED = (
    "Anna Podgornaya, CEO of Pegas Touristik, stated that Russians currently vacationing in Venezuela will complete "
    "their stays as scheduled before being repatriated on special flights.\n"
)
QUOTES = {
    "before": "special flights organized by ATORUS",  # before the inserted paragraph: stays where it was
    "after": "over 6,000 visitors traveling to Margarita Island",  # after it: moves
    "later": "has provided Venezuela with over $30 billion in arms since 2000",  # far after it: moves
    "corrected": "the U.S. deploys 11 warships and 15,000 troops to the Caribbean",  # its words change
    "deleted": "Russians currently vacationing in Venezuela will complete their stays as scheduled",  # gone
}


def corrected_seed() -> str:
    """The seed with a paragraph inserted, one sentence corrected and one deleted, as a re-import brings it."""
    text = SEED.read_text(encoding="utf-8")
    assert INSERTED_AFTER in text and CORRECTED[0] in text and DELETED in text
    return text.replace(INSERTED_AFTER, INSERTED_AFTER + INSERTED).replace(*CORRECTED).replace(DELETED, "")


def import_seed(project, user, text=None):
    raw = text if text is not None else SEED.read_text(encoding="utf-8")
    title, body = raw.split("\n", 1)
    return services.document_import(project=project, title=title, body=body, source_url=SOURCE, imported_by=user)


def annotate(document, author, quote, *, verdict="false"):
    start = document.body.index(quote)
    return services.annotation_create(document=document, author=author, start=start, end=start + len(quote),
                                      quote=quote, verdict=verdict)  # fmt: skip


@pytest.fixture
def desk_admin(project):
    return MembershipFactory(project=project, user=UserFactory(username="desk_admin"), role=Role.ADMIN).user


@pytest.fixture
def seeded(project, reviewer, editor, django_capture_on_commit_callbacks):
    """The seed article imported by the editor, one annotation of the reviewer on each passage of QUOTES."""
    with django_capture_on_commit_callbacks(execute=True):
        document = import_seed(project, editor).document
        annotations = {name: annotate(document, reviewer, quote) for name, quote in QUOTES.items()}
    return document, annotations


def reimport(project, user, callbacks):
    with callbacks(execute=True):
        return import_seed(project, user, corrected_seed())


# ---- versions ------------------------------------------------------------------------------------------


def test_an_imported_article_is_version_1_of_its_document(project, editor):
    document = import_seed(project, editor).document

    version = DocumentVersion.objects.get(document=document)
    assert (document.version, version.number, version.body, version.created_by) == (1, 1, document.body, editor)
    assert version.content_sha256 == document.content_sha256


def test_reimporting_the_seed_corrected_moves_flags_and_orphans_its_annotations(
    seeded, project, editor, django_capture_on_commit_callbacks
):
    document, annotations = seeded
    old_body = document.body

    outcome = reimport(project, editor, django_capture_on_commit_callbacks)

    document.refresh_from_db()
    new_body = document.body
    assert (outcome.created, outcome.new_version, outcome.document.pk) == (False, True, document.pk)
    assert (document.version, document.anchoring_status, Document.objects.count()) == (2, AnchoringStatus.DONE, 1)
    assert INSERTED.strip() in new_body and DELETED.strip() not in new_body
    assert DocumentVersion.objects.get(document=document, number=1).body == old_body
    rows = {name: Annotation.objects.get(pk=a.pk) for name, a in annotations.items()}
    for name in ("before", "after", "later"):  # every unchanged passage: its own words at their new place
        row = rows[name]
        assert new_body[row.start : row.end] == QUOTES[name] == row.quote, name
        assert (row.anchor_state, row.document_version) == (AnchorState.OK, 2), name
    assert rows["before"].start == annotations["before"].start
    assert rows["after"].start == annotations["after"].start + len(INSERTED)
    corrected = rows["corrected"]
    assert (corrected.quote, corrected.anchor_state, corrected.document_version) == (
        "the U.S. deploys 12 warships and 16,000 troops to the Caribbean", AnchorState.CHANGED, 2)  # fmt: skip
    assert new_body[corrected.start : corrected.end] == corrected.quote
    orphan = rows["deleted"]  # kept as it was, on version 1, never drawn on version 2
    assert (orphan.anchor_state, orphan.document_version) == (AnchorState.ORPHANED, 1)
    assert old_body[orphan.start : orphan.end] == orphan.quote == QUOTES["deleted"]
    moved = AuditEvent.objects.get(annotation_id=rows["after"].pk, action=AuditEvent.Action.UPDATE, actor=None)
    assert moved.changes["start"] == [annotations["after"].start, rows["after"].start]
    assert moved.changes["document_version"] == [1, 2]
    assert "version 2" in moved.comment
    event = AuditEvent.objects.get(object_type="document", action="update", document_id=document.pk)
    assert (event.changes["version"], event.actor, event.comment) == ([1, 2], editor, "version 2: re-imported")


def test_a_submitted_verdict_whose_words_changed_goes_back_to_its_author_for_a_recheck(
    seeded, project, reviewer, editor, django_capture_on_commit_callbacks
):
    _, annotations = seeded
    corrected = services.annotation_submit(annotation_id=annotations["corrected"].pk, user=reviewer)
    assert corrected.status == AnnotationStatus.SUBMITTED

    reimport(project, editor, django_capture_on_commit_callbacks)

    corrected.refresh_from_db()
    assert (corrected.status, corrected.anchor_state) == (AnnotationStatus.CHANGES_REQUESTED, AnchorState.CHANGED)
    event = AuditEvent.objects.get(annotation_id=corrected.pk, action=AuditEvent.Action.TRANSITION, actor=None)
    assert (event.from_status, event.to_status) == ("submitted", "changes_requested")
    assert "re-check" in event.comment
    note = Notification.objects.get(user=reviewer, annotation=corrected)
    assert note.kind == Notification.Kind.SENT_BACK and "new version" in note.text
    resubmitted = services.annotation_submit(annotation_id=corrected.pk, user=reviewer)  # re-checked: flag cleared
    assert (resubmitted.status, resubmitted.anchor_state) == (AnnotationStatus.SUBMITTED, AnchorState.OK)


def test_a_published_verdict_whose_words_changed_stays_public_and_flagged(
    seeded, project, reviewer, editor, desk_admin, django_capture_on_commit_callbacks
):
    _, annotations = seeded
    published = annotations["corrected"]
    for action, who in (("submit", reviewer), ("approve", editor), ("publish", desk_admin)):
        published = services.annotation_transition(annotation_id=published.pk, user=who, action=action)

    reimport(project, desk_admin, django_capture_on_commit_callbacks)

    published.refresh_from_db()
    assert (published.status, published.anchor_state) == (AnnotationStatus.PUBLISHED, AnchorState.CHANGED)


def test_reanchoring_twice_changes_nothing_more(seeded, project, editor, django_capture_on_commit_callbacks):
    document, _ = seeded
    reimport(project, editor, django_capture_on_commit_callbacks)
    document.refresh_from_db()
    before = list(Annotation.objects.order_by("pk").values_list("start", "end", "anchor_state", "version"))
    events = AuditEvent.objects.count()

    skipped = services.document_reanchor(document_id=document.pk, version=2)  # done already: not claimed
    Document.objects.filter(pk=document.pk).update(anchoring_status=AnchoringStatus.PENDING)  # a redelivery
    again = services.document_reanchor(document_id=document.pk, version=2)
    stale = services.document_reanchor(document_id=document.pk, version=1)  # an old version's message

    assert (skipped.status, again.status, stale.status) == ("skipped", "done", "skipped")
    assert (again.placed, again.changed, again.orphaned) == (0, 0, 1)  # the orphan was tried again, in vain
    assert list(Annotation.objects.order_by("pk").values_list("start", "end", "anchor_state", "version")) == before
    assert AuditEvent.objects.count() == events


def test_the_same_text_again_or_an_old_version_of_it_stores_nothing(
    seeded, project, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    assert import_seed(project, editor).created is False  # the current text
    reimport(project, editor, django_capture_on_commit_callbacks)

    old_copy = import_seed(project, editor)  # version 1's text, from a stale crawl: no news

    assert (old_copy.created, old_copy.new_version, old_copy.document.pk) == (False, False, document.pk)
    assert DocumentVersion.objects.filter(document=document).count() == 2


def test_a_reviewer_cannot_turn_a_reimport_into_a_new_version(seeded, project, reviewer):
    document, _ = seeded

    with pytest.raises(services.Forbidden, match="needs an editor"):
        import_seed(project, reviewer, corrected_seed())

    document.refresh_from_db()
    assert (document.version, Document.objects.count()) == (1, 1)


def test_people_claims_move_with_the_text_and_machine_candidates_are_made_again(
    seeded, project, reviewer, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    quote = "Geopolitical implications: Is Russia abandoning Maduro?"
    start = document.body.index(quote)
    with django_capture_on_commit_callbacks(execute=True):
        person = services.claim_get_or_create_accepted(document=document, start=start, end=start + len(quote))
        person = services.claim_set_state(claim_id=person.pk, state=ClaimState.ACCEPTED, user=reviewer)
    machine_before = Claim.objects.filter(document=document, origin=ClaimOrigin.MACHINE).count()
    assert machine_before > 10

    reimport(project, editor, django_capture_on_commit_callbacks)

    document.refresh_from_db()
    person.refresh_from_db()
    assert (person.start, person.text, person.document_version) == (start + len(INSERTED) - len(DELETED), quote, 2)
    assert (person.state, person.decided_by) == (ClaimState.ACCEPTED, reviewer)
    machine = Claim.objects.filter(document=document, origin=ClaimOrigin.MACHINE, annotations__isnull=True,
                                   state=ClaimState.CANDIDATE)  # fmt: skip
    assert machine.exists() and set(machine.values_list("document_version", flat=True)) == {2}
    assert all(document.body[c.start : c.end] == c.text for c in Claim.objects.filter(document=document)
               .exclude(anchor_state=AnchorState.ORPHANED))  # fmt: skip
    assert machine.filter(text__startswith="Update, December 3").exists()  # the new paragraph is segmented
    assert document.segmentation_status == "done"


# ---- the API -------------------------------------------------------------------------------------------


def test_the_api_reimport_of_a_source_url_answers_with_the_new_version(
    seeded, api_as, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    title, body = corrected_seed().split("\n", 1)
    payload = {"project": "politics", "title": title, "body": body, "source_url": SOURCE}

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(editor).post(reverse("api-documents"), payload, format="json")

    data = response.json()
    assert response.status_code == 200
    assert (data["new_version_of"], data["version"], data["id"]) == (document.pk, 2, document.pk)
    assert "duplicate_of" not in data


def test_posting_a_new_version_through_the_api_needs_an_editor(
    seeded, api_as, reviewer, editor, outsider, django_capture_on_commit_callbacks
):
    document, _ = seeded
    url = reverse("api-document-versions", args=[document.pk])
    body = corrected_seed().split("\n", 1)[1]

    as_reviewer = api_as(reviewer).post(url, {"body": body}, format="json")
    as_outsider = api_as(outsider).post(url, {"body": body}, format="json")
    empty = api_as(editor).post(url, {"body": "   "}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        created = api_as(editor).post(url, {"body": body, "reason": "Corrected troop numbers"}, format="json")
    unchanged = api_as(editor).post(url, {"body": body}, format="json")

    assert (as_reviewer.status_code, as_outsider.status_code, empty.status_code) == (403, 404, 400)
    assert "detail" in empty.json()
    assert created.status_code == 201
    assert (created.json()["version"], created.json()["new_version_of"]) == (2, document.pk)
    assert (unchanged.status_code, unchanged.json()["unchanged"], unchanged.json()["version"]) == (200, True, 2)
    assert DocumentVersion.objects.get(document=document, number=2).reason == "Corrected troop numbers"


def test_old_versions_stay_readable_and_bad_version_numbers_are_a_400(
    seeded, api, project, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    old_body = document.body
    reimport(project, editor, django_capture_on_commit_callbacks)
    url = reverse("api-document", args=[document.pk])

    current, old = api.get(url).json(), api.get(url, {"version": 1}).json()
    versions = api.get(reverse("api-document-versions", args=[document.pk])).json()["results"]
    bad = {value: api.get(url, {"version": value}) for value in ("3", "0", "x", "-1")}
    unknown = api.get(url, {"versoin": "1"})

    assert (current["version"], current["current_version"], old["version"], old["current_version"]) == (2, 2, 1, 2)
    assert old["body"] == old_body and current["body"] != old_body
    assert [(v["number"], v["current"], v["created_by"]) for v in versions] == [(1, False, "editor"),
                                                                               (2, True, "editor")]  # fmt: skip
    for value, response in bad.items():
        assert response.status_code == 400, value
        assert "version" in response.json()["detail"], value
    assert unknown.status_code == 400 and "versoin" in unknown.json()["detail"]


def test_the_diff_endpoint_gives_word_level_operations_between_two_versions(
    seeded, api, project, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    reimport(project, editor, django_capture_on_commit_callbacks)
    url = reverse("api-document-diff", args=[document.pk])

    response = api.get(url, {"from": 1, "to": 2})
    default = api.get(url)
    bad_from, bad_to = api.get(url, {"from": 5}), api.get(url, {"to": "two"})

    data = response.json()
    ops = [(o["op"], o["text"]) for o in data["ops"]]
    assert response.status_code == 200 and default.json() == data
    assert ("delete", "11") in ops and ("insert", "12") in ops
    assert ("insert", INSERTED) in ops or any(op == "insert" and "Update, December 3" in t for op, t in ops)
    assert "".join(t for op, t in ops if op != "insert") == DocumentVersion.objects.get(number=1).body
    assert "".join(t for op, t in ops if op != "delete") == DocumentVersion.objects.get(number=2).body
    assert (bad_from.status_code, bad_to.status_code) == (400, 400)
    assert "from" in bad_from.json()["detail"] and "to" in bad_to.json()["detail"]


def test_an_orphan_is_placed_by_hand_through_the_api(
    seeded, api_as, project, reviewer, other_reviewer, editor, outsider, django_capture_on_commit_callbacks
):
    document, annotations = seeded
    reimport(project, editor, django_capture_on_commit_callbacks)
    document.refresh_from_db()
    orphan = annotations["deleted"]
    url = reverse("api-annotation-place", args=[orphan.pk])
    quote = "Russians currently in Venezuela will complete their stays"
    start = document.body.index(quote)
    span = {"start": start, "end": start + len(quote), "exact": quote}

    refused = {
        "outsider": api_as(outsider).post(url, span, format="json").status_code,
        "other reviewer": api_as(other_reviewer).post(url, span, format="json").status_code,
        "wrong quote": api_as(reviewer).post(url, {**span, "exact": "nope"}, format="json").status_code,
    }
    placed = api_as(reviewer).post(url, span, format="json")

    orphan.refresh_from_db()
    assert refused == {"outsider": 404, "other reviewer": 403, "wrong quote": 400}
    assert placed.status_code == 200
    assert (placed.json()["anchor_state"], placed.json()["document_version"]) == ("changed", 2)
    assert (orphan.start, orphan.quote, orphan.anchor_state, orphan.document_version) == (
        start, quote, AnchorState.CHANGED, 2)  # fmt: skip
    event = AuditEvent.objects.filter(annotation_id=orphan.pk).latest("at", "id")
    assert (event.actor, event.changes["anchor_state"]) == (reviewer, ["orphaned", "changed"])


def test_an_orphan_keeps_utf16_offsets_of_the_text_it_was_made_on(
    api, project, reviewer, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = "😀 Prices rose 3 percent. Wages fell."
        document = services.document_import(project=project, title="Emoji", body=body, imported_by=editor).document
        annotation = annotate(document, reviewer, "Prices rose 3 percent.")
        services.document_new_version(document=document, body="Wages fell sharply.", user=editor)

    row = api.get(reverse("api-annotation", args=[annotation.pk]), {"unit": "utf16"}).json()

    assert (row["anchor_state"], row["document_version"], row["start"], row["end"]) == ("orphaned", 1, 3, 25)


def test_the_command_stores_a_file_as_a_new_version_of_a_document(seeded, tmp_path, django_capture_on_commit_callbacks):
    document, annotations = seeded
    path = tmp_path / "corrected.txt"
    path.write_text(corrected_seed(), encoding="utf-8")
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(path), project="politics", new_version_of=document.pk, stdout=out)

    document.refresh_from_db()
    assert document.version == 2 and "stored version 2" in out.getvalue()
    assert Annotation.objects.get(pk=annotations["deleted"].pk).anchor_state == AnchorState.ORPHANED


def test_a_segmentation_that_read_the_old_text_stores_nothing_and_runs_again(
    project, editor, monkeypatch, django_capture_on_commit_callbacks
):
    from annotations.domain import checkworthiness

    document = services.document_import(project=project, title="Jobs", body="Wages rose. Prices fell.").document
    real = checkworthiness.load_default

    def new_version_meanwhile():  # runs after the text was read, before the claims are written
        Document.objects.filter(pk=document.pk).update(version=2, body="Wages rose. Prices fell. Rents rose.")
        return real()

    monkeypatch.setattr(checkworthiness, "load_default", new_version_meanwhile)
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = services.document_segment(document_id=document.pk)

    document.refresh_from_db()
    assert (outcome.status, document.segmentation_status, Claim.objects.count()) == ("skipped", "pending", 0)
    assert len(callbacks) == 1  # enqueued again, for the new text


# ---- the pages -----------------------------------------------------------------------------------------


@pytest.fixture
def updated(seeded, project, editor, django_capture_on_commit_callbacks):
    """The seeded article after the corrected re-import."""
    document, annotations = seeded
    reimport(project, editor, django_capture_on_commit_callbacks)
    document.refresh_from_db()
    return document, {name: Annotation.objects.get(pk=a.pk) for name, a in annotations.items()}


def test_the_annotate_page_says_what_needs_a_recheck_and_lists_the_orphans(client, updated, reviewer, other_reviewer):
    document, annotations = updated
    client.force_login(reviewer)

    page = client.get(reverse("document-detail", args=[document.pk])).content.decode()
    client.force_login(other_reviewer)
    theirs = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    assert "Version 2 (updated" in page
    assert "1 annotation needs re-check" in page and "1 could not be placed" in page
    assert f'<li data-id="{annotations["deleted"].pk}">' in page and QUOTES["deleted"] in page
    assert page.count('data-action="place"') == 1  # the author may place it
    assert 'data-action="place"' not in theirs  # another reviewer sees it, but may not place it
    assert "?from=1&amp;to=2" in page and "?version=1" in page


def test_an_old_version_is_shown_read_only_and_a_bad_version_is_a_400(client, updated, reviewer):
    document, _ = updated
    client.force_login(reviewer)
    url = reverse("document-detail", args=[document.pk])

    old = client.get(url, {"version": 1})
    current = client.get(url, {"version": 2})
    bad = [client.get(url, {"version": value}) for value in ("3", "0", "one")]

    assert old.status_code == 200 and DELETED.strip() in old.content.decode()
    assert "read-only" in old.content.decode() and b"annotate.js" not in old.content
    assert current.status_code == 200 and b"annotate.js" in current.content
    assert [r.status_code for r in bad] == [400, 400, 400]
    assert all(b"version" in r.content for r in bad)


def test_the_diff_page_marks_what_was_inserted_and_deleted(client, updated, reviewer, outsider):
    document, _ = updated
    url = reverse("document-diff", args=[document.pk])
    client.force_login(reviewer)

    page = client.get(url, {"from": 1, "to": 2}).content.decode()
    same = client.get(url, {"from": 2, "to": 2}).content.decode()
    bad = client.get(url, {"from": "9"})
    client.force_login(outsider)
    hidden = client.get(url)

    assert "<del>11</del><ins>12</ins>" in page
    assert "<ins>Update, December 3" in page and "<del>Anna Podgornaya" in page
    assert "The two versions have the same text." in same
    assert (bad.status_code, hidden.status_code) == (400, 404)


def test_the_review_screen_flags_a_published_verdict_on_changed_words(
    client, seeded, project, reviewer, editor, desk_admin, django_capture_on_commit_callbacks
):
    _, annotations = seeded
    published = annotations["corrected"]
    for action, who in (("submit", reviewer), ("approve", editor), ("publish", desk_admin)):
        services.annotation_transition(annotation_id=published.pk, user=who, action=action)
    reimport(project, desk_admin, django_capture_on_commit_callbacks)
    client.force_login(editor)

    page = client.get(reverse("review-screen", args=[published.pk])).content.decode()

    assert 'data-flag="changed"' in page and "This verdict is published: correct or retract it" in page


def test_the_annotate_page_of_a_new_version_costs_a_fixed_number_of_queries(
    client, updated, reviewer, django_assert_num_queries
):
    document, _ = updated
    client.force_login(reviewer)
    client.get(reverse("document-detail", args=[document.pk]))  # warm the session and the model cache

    # The 7 of any annotate page, + the current version's date and the flagged annotations (one query each).
    with django_assert_num_queries(9):
        response = client.get(reverse("document-detail", args=[document.pk]))

    assert response.status_code == 200


# ---- exports -------------------------------------------------------------------------------------------


def test_exports_carry_the_version_each_annotation_refers_to_and_its_anchor_state(api_as, updated, editor):
    import csv
    import json

    document, annotations = updated
    url = reverse("api-project-export", kwargs={"slug": "politics"})

    def export(name):
        response = api_as(editor).get(url, {"format": name})
        return b"".join(response.streaming_content).decode()

    records = {r["id"]: r for r in json.loads(export("json"))}
    rows = {int(r["annotation_id"]): r for r in csv.DictReader(io.StringIO(export("csv")))}
    targets = {a["id"].rstrip("/").rsplit("/", 1)[1]: a["target"] for a in json.loads(export("webannotation"))}

    orphan, moved = annotations["deleted"], annotations["after"]
    assert (records[orphan.pk]["document_version"], records[orphan.pk]["anchor_state"]) == (1, "orphaned")
    assert (records[moved.pk]["document_version"], records[moved.pk]["anchor_state"]) == (2, "ok")
    assert records[annotations["corrected"].pk]["anchor_state"] == "changed"
    assert records[orphan.pk]["document"]["version"] == 2
    assert (rows[orphan.pk]["document_version"], rows[orphan.pk]["anchor_state"]) == ("1", "orphaned")
    assert targets[str(orphan.pk)]["source"].endswith(f"/documents/{document.pk}/?version=1")
    assert targets[str(moved.pk)]["source"].endswith(f"/documents/{document.pk}/?version=2")


def test_a_jsonl_export_with_an_orphan_imports_the_rest_and_says_what_it_left_out(updated, tmp_path):
    path = tmp_path / "politics.jsonl"
    call_command("export_verdicts", "--project", "politics", "--format", "jsonl", "-o", str(path),
                 stderr=io.StringIO())  # fmt: skip
    out = io.StringIO()

    call_command("import_verdicts", str(path), "--project", "copy", "--create-project", stdout=out)

    copy = Document.objects.get(project__slug="copy")
    assert "4 annotations imported" in out.getvalue()
    assert "1 not imported: exported as orphans" in out.getvalue()
    assert Annotation.objects.filter(document=copy).count() == 4


def test_a_redelivered_reanchoring_task_reclaims_the_document_at_once_and_another_task_does_not(
    seeded, project, editor, django_capture_on_commit_callbacks
):
    document, _ = seeded
    with django_capture_on_commit_callbacks(execute=False):  # the task is not run: a worker "dies" holding it
        import_seed(project, editor, corrected_seed())
    Document.objects.filter(pk=document.pk).update(
        anchoring_status=AnchoringStatus.RUNNING, anchoring_started_at=timezone.now(), anchoring_task_id="task-1"
    )

    other = services.document_reanchor(document_id=document.pk, version=2, task_id="task-2")
    same = services.document_reanchor(document_id=document.pk, version=2, task_id="task-1")

    assert other.status == "skipped"
    assert (same.status, same.orphaned) == ("done", 1)
    document.refresh_from_db()
    assert (document.anchoring_status, document.anchoring_task_id) == (AnchoringStatus.DONE, "task-1")
    assert Annotation.objects.filter(document=document, document_version=2).count() == len(QUOTES) - 1


def test_an_editor_corrects_the_text_in_the_browser_and_the_annotations_follow(
    seeded, client, editor, django_capture_on_commit_callbacks
):
    document, annotations = seeded
    url = reverse("document-correct", args=[document.pk])
    client.force_login(editor)
    page = client.get(url)
    body = corrected_seed().split("\n", 1)[1]

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(url, {"body": body, "reason": "Corrected troop numbers"})

    assert page.status_code == 200 and document.body in page.content.decode()
    assert saved.status_code == 302 and saved.url == reverse("document-detail", args=[document.pk])
    document.refresh_from_db()
    assert (document.version, document.anchoring_status) == (2, AnchoringStatus.DONE)
    assert DocumentVersion.objects.get(document=document, number=2).reason == "Corrected troop numbers"
    moved = Annotation.objects.get(pk=annotations["after"].pk)
    assert document.body[moved.start : moved.end] == QUOTES["after"] and moved.document_version == 2
    assert Annotation.objects.get(pk=annotations["deleted"].pk).anchor_state == AnchorState.ORPHANED
    detail = client.get(saved.url).content.decode()
    assert "Saved as version 2" in detail and 'id="correct-link"' in detail


def test_correcting_the_text_refuses_reviewers_and_outsiders_and_bad_text_stores_nothing(
    seeded, client, reviewer, outsider, editor
):
    document, _ = seeded
    url = reverse("document-correct", args=[document.pk])
    client.force_login(reviewer)
    as_reviewer = client.post(url, {"body": "A new text."})
    detail = client.get(reverse("document-detail", args=[document.pk])).content.decode()
    client.force_login(outsider)
    as_outsider = client.get(url)
    client.force_login(editor)
    empty = client.post(url, {"body": "   \n"})
    same = client.post(url, {"body": document.body}, follow=True)

    assert (as_reviewer.status_code, as_outsider.status_code, empty.status_code) == (403, 404, 400)
    assert 'id="correct-link"' not in detail  # reviewers are not offered it
    assert 'role="alert"' in empty.content.decode()
    assert "nothing was stored" in same.content.decode()
    assert DocumentVersion.objects.filter(document=document).count() == 1
    document.refresh_from_db()
    assert document.version == 1
