"""Fact-base imports of every size: bounded, and the big ones read by the task worker."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from learning.content import editing
from learning.content.selectors import factbase_from_db
from learning.models import Entity, FactbaseImport
from tests.factories import EditorFactory, UserFactory
from tests.test_factbase_limits import alias_bomb

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client():
    client = Client()
    client.force_login(EditorFactory())
    return client


def upload(name: str, content: bytes) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def exported(client: Client) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("admin:learning_fact_export")).content))
    return {name: archive.read(name) for name in archive.namelist()}


def post(client: Client, name: str, content: bytes):
    return client.post(reverse("admin:learning_fact_import"), {"files": upload(name, content)})


def test_the_alias_bomb_is_refused_at_once_with_a_short_page(spine_bank, editor_client):
    before = Entity.objects.count()
    response = post(editor_client, "bomb.yaml", alias_bomb(6).encode())
    page = response.content.decode()
    assert response.status_code == 422
    assert "an anchor (&amp;name) is not allowed in a fact base" in page
    assert len(page) < 30_000
    assert Entity.objects.count() == before


def test_a_yaml_file_past_the_limit_is_refused_before_it_is_read(spine_bank, editor_client):
    content = b"# padding\n" * (editing.IMPORT_MAX_BYTES // 10 + 1)
    response = post(editor_client, "huge.yaml", content)
    assert response.status_code == 422
    assert f"an import takes at most {editing.IMPORT_MAX_BYTES // 2**20} MB" in (
        response.content.decode()
    )
    assert not FactbaseImport.objects.exists()


def test_a_zip_counts_its_members_together(spine_bank, editor_client):
    # Each member is small, and the zip itself smaller still: their total is what counts.
    part = b"# padding\n" * (editing.IMPORT_MAX_BYTES // 40)
    content = zipped({f"factbase/{n:02}.yaml": part for n in range(5)})
    assert len(content) < editing.IMPORT_IN_REQUEST_BYTES
    response = post(editor_client, "many.zip", content)
    assert response.status_code == 422
    assert "an import takes at most" in response.content.decode()
    assert not FactbaseImport.objects.exists()


def test_a_zip_of_too_many_entries_is_refused(spine_bank, editor_client):
    content = zipped({f"f{n}.txt": b"" for n in range(editing.IMPORT_MAX_MEMBERS + 1)})
    response = post(editor_client, "crowd.zip", content)
    assert response.status_code == 422
    assert f"more than {editing.IMPORT_MAX_MEMBERS} entries" in response.content.decode()


def test_a_zip_member_that_lies_about_its_size_is_refused(spine_bank, editor_client):
    content = bytearray(zipped({"factbase/a.yaml": b"facts: []\n" * 1000}))
    # Corrupt the compressed data: reading stops at the declared size and the check fails.
    start = content.index(b"factbase/a.yaml") + len("factbase/a.yaml")
    content[start + 10 : start + 20] = b"\xff" * 10
    response = post(editor_client, "liar.zip", bytes(content))
    assert response.status_code == 422
    assert "could not be read from the zip" in response.content.decode()


def _padded(files: dict[str, bytes], size: int) -> dict[str, bytes]:
    """The export, with comment lines making it `size` bytes of YAML."""
    total = sum(len(v) for v in files.values())
    padding = b"# " + b"p" * 97 + b"\n"
    files = dict(files)
    files["factbase/99-notes.yaml"] = padding * ((size - total) // len(padding) + 1)
    return files


def test_a_big_import_is_read_by_the_worker_and_its_result_shown(spine_bank, editor_client):
    files = _padded(exported(editor_client), editing.IMPORT_IN_REQUEST_BYTES + 100_000)
    files["factbase/10-entities.yaml"] += (
        b"\n  - key: sacral-hiatus-test\n    kind: vertebra\n    name: a test vertebra\n"
    )
    response = post(editor_client, "big.zip", zipped(files))
    record = FactbaseImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:learning_fact_import_result", args=[record.pk])
    # The tests' task backend runs the task at once: the page shows how it ended.
    page = editor_client.get(response["Location"]).content.decode()
    assert record.size > editing.IMPORT_IN_REQUEST_BYTES
    record.refresh_from_db()
    assert record.status == FactbaseImport.Status.DONE, record.summary
    assert record.content == b"", "the upload is dropped once read"
    assert "Imported" in page and record.summary in page
    assert Entity.objects.filter(key="sacral-hiatus-test").exists()
    # The import page lists it among the recent ones.
    listing = editor_client.get(reverse("admin:learning_fact_import")).content.decode()
    assert "big.zip" in listing and "Imported" in listing


def test_a_big_import_with_problems_lists_them_and_changes_nothing(spine_bank, editor_client):
    files = _padded(exported(editor_client), editing.IMPORT_IN_REQUEST_BYTES + 100_000)
    facts = files["factbase/20-facts.yaml"].decode()
    files["factbase/20-facts.yaml"] = facts.replace(
        "status: published", "status: half-done", 1
    ).encode()
    before = factbase_from_db()
    response = post(editor_client, "broken.zip", zipped(files))
    page = editor_client.get(response["Location"]).content.decode()
    record = FactbaseImport.objects.get()
    assert record.status == FactbaseImport.Status.REFUSED
    assert record.problem_count == 1
    assert "The fact base was not imported" in page and "half-done" in page
    assert factbase_from_db() == before


# The worker closes its database connection between tasks, as a separate process would:
# the test cannot run inside a transaction that is rolled back.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_import(spine_bank, editor_client):
    files = _padded(exported(editor_client), editing.IMPORT_IN_REQUEST_BYTES + 100_000)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        response = post(editor_client, "queued.zip", zipped(files))
        record = FactbaseImport.objects.get()
        waiting = editor_client.get(response["Location"]).content.decode()
        assert record.status == FactbaseImport.Status.QUEUED
        assert "Waiting for the worker" in waiting and 'http-equiv="refresh"' in waiting
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    record.refresh_from_db()
    assert record.status == FactbaseImport.Status.DONE, record.summary
    assert "facts: 0 created, 0 updated, 0 retired" in record.summary
    done = editor_client.get(response["Location"]).content.decode()
    assert "http-equiv" not in done


def test_only_editors_see_an_imports_page(spine_bank):
    record = FactbaseImport.objects.create(
        name="x.zip", size=1, created_at="2026-01-01T00:00:00Z", status="done"
    )
    url = reverse("admin:learning_fact_import_result", args=[record.pk])
    learner = Client()
    learner.force_login(UserFactory())
    assert learner.get(url).status_code == 302
    editor = Client()
    editor.force_login(EditorFactory())
    assert editor.get(url).status_code == 200
    assert editor.post(url).status_code == 405
