import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations import services
from annotations.models import Document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
BODY = "The unemployment rate fell to 3.5 percent in 2019.\nIt was the lowest rate in fifty years."


def run_import(*paths, project="politics", **options):
    """Run the command; return (exit code, stdout, stderr)."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_articles", *map(str, paths), project=project, stdout=out, stderr=err, **options)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


# ---- formats ----------------------------------------------------------------------------


def test_a_txt_file_uses_its_first_non_empty_line_as_title(project, tmp_path):
    (tmp_path / "a.txt").write_text(f"\n\n  Jobs report  \n{BODY}\r\n", encoding="utf-8")

    code, out, _ = run_import(tmp_path / "a.txt")

    document = Document.objects.get()
    assert code == 0
    assert (document.title, document.body, document.project) == ("Jobs report", BODY, project)
    assert document.metadata == {"source": str(tmp_path / "a.txt"), "format": "txt"}
    assert "1 imported, 0 skipped (duplicates), 0 failed" in out


def test_a_json_file_with_a_list_imports_each_article_with_its_metadata(project, tmp_path):
    articles = [
        {"title": "One", "body": BODY, "url": "https://example.org/one", "author": "Ann Lee",
         "published_at": "2025-11-02T10:00:00+01:00"},
        {"title": "Two", "text": "Another article body.", "published_at": "2025-11-03"},
    ]  # fmt: skip
    (tmp_path / "batch.json").write_text(json.dumps(articles), encoding="utf-8")

    code, _, _ = run_import(tmp_path / "batch.json")

    one, two = Document.objects.order_by("title")
    assert code == 0
    assert (one.source_url, one.author, one.published_at) == (
        "https://example.org/one", "Ann Lee", datetime(2025, 11, 2, 9, 0, tzinfo=UTC)
    )  # fmt: skip
    assert (two.body, two.published_at) == ("Another article body.", datetime(2025, 11, 3, tzinfo=UTC))


def test_a_jsonl_file_imports_one_article_per_line(project, tmp_path):
    lines = [json.dumps({"title": f"Article {i}", "body": f"{BODY} ({i})"}) for i in range(3)]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")

    code, out, _ = run_import(tmp_path / "feed.jsonl")

    assert code == 0
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Article 0", "Article 1", "Article 2"]
    assert "feed.jsonl:2: imported as" in out


def test_an_html_page_imports_its_main_text_without_navigation_or_footer(project, tmp_path):
    paragraphs = "".join(
        f"<p>Paragraph {i}: the unemployment rate fell to 3.{i} percent in 2019, officials said on Tuesday.</p>"
        for i in range(4)
    )
    (tmp_path / "page.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Jobs &amp; rates</title>"
        "<meta name='author' content='Jane Doe'><link rel='canonical' href='https://example.org/jobs'></head>"
        "<body><nav><a href='/'>Home</a><a href='/news'>News navigation link</a></nav>"
        "<article><h1>Jobs &amp; rates</h1>"
        f"{paragraphs}</article><footer>Copyright 2025 Example News. Privacy policy.</footer></body></html>",
        encoding="utf-8",
    )

    code, _, err = run_import(tmp_path / "page.html")

    document = Document.objects.get()
    assert code == 0, err
    assert document.title == "Jobs & rates"
    assert document.body.startswith("Paragraph 0: the unemployment rate fell to 3.0 percent")
    assert "Paragraph 3" in document.body
    assert "navigation" not in document.body and "Copyright" not in document.body
    assert (document.author, document.source_url) == ("Jane Doe", "https://example.org/jobs")


def test_an_html_page_in_a_declared_legacy_encoding_is_decoded(project, tmp_path):
    html = ("<html><head><meta charset='windows-1252'><title>Café prices</title></head><body><article>"
            + "<p>Café owners said prices rose by 12 percent in 2024, according to the survey.</p>" * 3
            + "</article></body></html>")  # fmt: skip
    (tmp_path / "old.html").write_bytes(html.encode("windows-1252"))

    code, _, err = run_import(tmp_path / "old.html")

    assert code == 0, err
    assert "Café owners" in Document.objects.get().body


def test_a_folder_is_searched_recursively_in_name_order_ignoring_hidden_and_other_files(project, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.txt").write_text("B\nbody b", encoding="utf-8")
    (tmp_path / "sub" / "a.txt").write_text("A\nbody a", encoding="utf-8")
    (tmp_path / ".git" / "c.txt").write_text("C\nbody c", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")

    code, _, _ = run_import(tmp_path)

    assert code == 0
    assert sorted(Document.objects.values_list("title", flat=True)) == ["A", "B"]


def test_both_seeds_import_without_their_boilerplate(project):
    code, out, _ = run_import(SEEDS)

    evacuation = Document.objects.get(title__startswith="Putin abandons Maduro")
    role = Document.objects.get(title__startswith="Russia's Role in Venezuela")
    assert code == 0
    assert evacuation.body.endswith("the beginning of the end for Maduro’s rule.")
    assert role.body.endswith("the geopolitical calculus at play.")
    assert evacuation.metadata["boilerplate"]["tail"].endswith("Read full article here")
    assert "Author information" in role.metadata["boilerplate"]["tail"]
    assert "2 imported" in out


# ---- duplicates ----------------------------------------------------------------------------


def test_re_importing_the_same_content_is_skipped_and_names_the_existing_document(project, tmp_path):
    (tmp_path / "a.txt").write_text(f"Title\n{BODY}", encoding="utf-8")
    (tmp_path / "copy.json").write_text(json.dumps({"title": "Other title", "body": BODY + "  \r\n"}), encoding="utf-8")
    run_import(tmp_path / "a.txt")
    original = Document.objects.get()

    code, out, _ = run_import(tmp_path / "a.txt", tmp_path / "copy.json")

    assert code == 0
    assert Document.objects.count() == 1
    assert out.count(f"skipped (duplicate of #{original.pk})") == 2
    assert "0 imported, 2 skipped (duplicates), 0 failed" in out


def test_the_same_article_may_exist_in_two_projects(project, outsider, tmp_path):
    (tmp_path / "a.txt").write_text(f"Title\n{BODY}", encoding="utf-8")

    run_import(tmp_path / "a.txt")
    run_import(tmp_path / "a.txt", project="elsewhere")

    assert Document.objects.count() == 2


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("bin.txt", b"Title\n\x00\x01\x02\xff", "binary file (contains NUL bytes)", id="binary"),
        pytest.param("latin1.txt", "Título\nCafé".encode("latin-1"), "not valid UTF-8 text (byte 0xed at offset 1)",
                     id="wrong_encoding"),
        pytest.param("empty.txt", b"  \n\n", "file is empty", id="empty_file"),
        pytest.param("title-only.txt", b"Just a title\n\n  \n", "empty body (only a title line)", id="empty_body"),
        pytest.param("bad.json", b'{"title": "x", "body": }', "bad.json:1: malformed JSON", id="malformed_json"),
        pytest.param("nobody.json", b'{"title": "x", "body": "  "}', "missing or empty 'body'", id="json_empty_body"),
        pytest.param("notitle.json", b'{"body": "text"}', "missing 'title'", id="json_no_title"),
        pytest.param("date.json", b'{"title": "x", "body": "y", "published_at": "yesterday"}',
                     "'published_at' 'yesterday' is not an ISO 8601", id="bad_date"),
        pytest.param("url.json", b'{"title": "x", "body": "y", "url": "javascript:alert(1)"}',
                     "is not a valid http(s) URL", id="bad_url"),
        pytest.param("page.html", b"<html><head><title>Page</title></head><body><script>x()</script></body></html>",
                     "no article text found in HTML", id="html_without_article"),
        pytest.param("slides.pdf", b"%PDF-1.4", "unsupported file type '.pdf'", id="unsupported_type"),
        pytest.param("huge.json", b'{"title": "x", "body": "y", "n": ' + b"9" * 5000 + b"}",
                     "malformed JSON (a number with more than 4,300 digits)", id="huge_number"),
        pytest.param("bad16.txt", b"\xff\xfe\x00\xd8A\x00", "not valid UTF-16-LE text", id="broken_utf16"),
        pytest.param("deep.json", b"[" * 100_000, "malformed JSON (nested too deeply)", id="deep_json"),
    ],
)  # fmt: skip
def test_bad_input_is_reported_naming_the_file_and_reason_and_nothing_is_stored(
    project, tmp_path, name, content, reason
):
    (tmp_path / name).write_bytes(content)

    code, out, err = run_import(tmp_path / name)

    assert code == 1
    assert Document.objects.count() == 0
    assert str(tmp_path / name) in err
    assert reason in err
    assert "0 imported, 0 skipped (duplicates), 1 failed" in out


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_text_file_saved_as_unicode_with_a_byte_order_mark_imports_with_its_accents(project, tmp_path, encoding):
    import codecs

    bom = {"utf-16": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": codecs.BOM_UTF32_LE}[encoding]
    text = "Título del artículo\nEl desempleo bajó al 3,5 % en 2019."
    codec = {"utf-16": "utf-16-le", "utf-16-be": "utf-16-be", "utf-32": "utf-32-le"}[encoding]
    (tmp_path / "notepad.txt").write_bytes(bom + text.encode(codec))

    code, _, err = run_import(tmp_path / "notepad.txt")

    assert code == 0, err
    document = Document.objects.get()
    assert (document.title, document.body) == ("Título del artículo", "El desempleo bajó al 3,5 % en 2019.")


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read(project, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1024
    (tmp_path / "big.txt").write_text("Title\n" + "x" * 2000, encoding="utf-8")

    code, _, err = run_import(tmp_path / "big.txt")

    assert code == 1
    assert Document.objects.count() == 0
    assert "big.txt: file is 2,006 bytes, over the 1,024-byte limit" in err


def test_a_missing_path_is_an_error_naming_it(project, tmp_path):
    code, _, err = run_import(tmp_path / "nope.txt")

    assert code == 1
    assert f"{tmp_path / 'nope.txt'}: no such file or folder" in err


def test_a_malformed_jsonl_line_is_reported_with_its_line_number_and_the_other_lines_still_import(project, tmp_path):
    good = json.dumps({"title": "Good", "body": BODY})
    (tmp_path / "feed.jsonl").write_text(f'{good}\n{{"title": "Broken",\n["not", "an object"]\n', encoding="utf-8")

    code, out, err = run_import(tmp_path / "feed.jsonl")

    assert code == 1
    assert list(Document.objects.values_list("title", flat=True)) == ["Good"]
    assert f"{tmp_path / 'feed.jsonl'}:2: malformed JSON line" in err
    assert f"{tmp_path / 'feed.jsonl'}:3: expected a JSON object, got list" in err
    assert "1 imported, 0 skipped (duplicates), 2 failed" in out


def test_good_files_import_even_when_others_in_the_same_run_fail(project, tmp_path):
    (tmp_path / "good.txt").write_text(f"Good\n{BODY}", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")

    code, out, _ = run_import(tmp_path / "bad.txt", tmp_path / "good.txt")

    assert code == 1
    assert list(Document.objects.values_list("title", flat=True)) == ["Good"]
    assert "1 imported, 0 skipped (duplicates), 1 failed" in out


def test_an_unknown_project_is_a_clear_error_unless_asked_to_create_it(db, tmp_path):
    (tmp_path / "a.txt").write_text(f"Title\n{BODY}", encoding="utf-8")

    code, _, err = run_import(tmp_path / "a.txt", project="sports")
    assert code == 1
    assert "no project with slug 'sports'" in err

    code, _, _ = run_import(tmp_path / "a.txt", project="sports", create_project=True)
    assert code == 0
    assert Document.objects.get().project.slug == "sports"


def test_no_progress_bar_is_drawn_when_output_is_not_a_terminal(project, tmp_path, capfd):
    (tmp_path / "a.txt").write_text(f"Title\n{BODY}", encoding="utf-8")

    run_import(tmp_path / "a.txt")

    assert "Importing" not in capfd.readouterr().err


# ---- service ----------------------------------------------------------------------------------


def test_the_import_service_rejects_a_body_that_is_empty_after_cleaning(project):
    with pytest.raises(services.DocumentRejected, match="body is empty"):
        services.document_import(project=project, title="T", body=" \r\n\t \n")

    assert Document.objects.count() == 0


def test_the_import_service_shortens_overlong_titles(project):
    outcome = services.document_import(project=project, title="word " * 200, body=BODY)

    assert len(outcome.document.title) == 500
    assert outcome.document.title.endswith("…")


def test_in_a_terminal_a_progress_bar_counts_the_articles_of_a_json_lines_file(project, tmp_path, monkeypatch, capsys):
    import io
    import sys

    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps({"title": f"T{n}", "body": f"{n}. {BODY}"}) for n in range(3)))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    out = io.StringIO()

    call_command("import_articles", str(path), "--project", project.slug, stdout=out)

    err = capsys.readouterr().err
    assert "Importing" in err and "3 articles" in err
    assert "imported as" not in out.getvalue()  # the bar says it; -v 2 lists every article
    assert "3 imported" in out.getvalue() and Document.objects.count() == 3
