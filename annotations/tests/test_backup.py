"""Back-up and restore as the README says (pg_dump -Fc, then pg_restore into an empty database): every export of the
restored database is byte-identical to the export of the original."""

import shutil
import subprocess
import sys
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from annotations.tests.conftest import PROJECT_ROOT, _test_database_url, skip_or_fail

pytestmark = [pytest.mark.django_db(transaction=True)]
FORMATS = ["jsonl", "json", "csv", "claimreview", "webannotation"]


def _export(database_url: str, fmt: str) -> bytes:
    result = subprocess.run(
        [sys.executable, "manage.py", "export_verdicts", "--project", "demo", "--format", fmt,
         "--base-url", "https://factcheck.example/", "--no-progress"],
        cwd=PROJECT_ROOT, capture_output=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url,
             "DJANGO_SETTINGS_MODULE": "factcheck.settings_test"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_a_dump_restored_into_an_empty_database_exports_byte_identical_files(settings, tmp_path):
    if connection.vendor != "postgresql":
        skip_or_fail("the back-up test needs PostgreSQL (DATABASE_URL=postgres://…)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        skip_or_fail("pg_dump / pg_restore not installed")
    settings.DEBUG = True  # seed_demo: the demo desk, both seed articles, four verdicts with evidence
    with open(tmp_path / "seed.log", "w") as out:
        call_command("seed_demo", stdout=out)
    settings.DEBUG = False
    original_url = _test_database_url()
    original = {fmt: _export(original_url, fmt) for fmt in FORMATS}
    assert all(original.values()) and b"Maduro" in original["jsonl"]

    params = connection.get_connection_params()
    target = ["-h", params.get("host") or "127.0.0.1", "-p", str(params.get("port") or 5432),
              "-U", params.get("user") or "postgres"]  # fmt: skip
    dump = tmp_path / "factcheck.dump"
    subprocess.run(["pg_dump", *target, "-Fc", "-f", str(dump), connection.settings_dict["NAME"]], check=True)
    restored = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(["pg_restore", *target, "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
                       check=True)  # fmt: skip
        restored_url = original_url.rsplit("/", 1)[0] + "/" + restored
        again = {fmt: _export(restored_url, fmt) for fmt in FORMATS}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')

    for fmt in FORMATS:
        assert again[fmt] == original[fmt], fmt
