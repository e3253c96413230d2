"""The fact-base admin: editors only, saving regenerates, preview, history, import and export."""

import io
import re
import zipfile
from dataclasses import replace

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from learning.content.factbase import read_factbase
from learning.content.selectors import factbase_from_db
from learning.models import (
    ArguablePair,
    Citation,
    Entity,
    EntityKind,
    Fact,
    Level,
    ProblemReport,
    Question,
    Relation,
    Role,
    Source,
    Topic,
)
from learning.roles import roles_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FACT_BASE_MODELS = [Source, Topic, EntityKind, Level, Entity, Relation, Fact, ArguablePair]


def user_in(role: Role | None, *, staff: bool = False):
    user = UserFactory(is_staff=staff)
    if role is not None:
        user.groups.add(roles_ensure()[role])
    return user


@pytest.fixture
def editor():
    return user_in(Role.CONTENT_EDITOR, staff=True)


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def admin_pages() -> list[str]:
    pages = [reverse("admin:index")]
    for model in [*FACT_BASE_MODELS, Question, ProblemReport]:
        name = f"admin:learning_{model._meta.model_name}"
        pages.append(reverse(f"{name}_changelist"))
        row = model.objects.first()
        if row is not None:
            pages.append(reverse(f"{name}_change", args=[row.pk]))
            if model in FACT_BASE_MODELS:
                pages.append(reverse(f"{name}_history", args=[row.pk]))
        if model in FACT_BASE_MODELS:
            pages.append(reverse(f"{name}_add"))
    pages += [reverse("admin:learning_fact_export"), reverse("admin:learning_fact_import")]
    return pages


@pytest.mark.parametrize(
    "who",
    ["learner", "instructor", "staff without the editor role", "staff instructor", "anonymous"],
)
def test_only_content_editors_reach_any_fact_base_admin_page(spine_bank, who):
    client = Client()
    if who != "anonymous":
        role = {"learner": Role.LEARNER, "staff without the editor role": None}.get(
            who, Role.INSTRUCTOR
        )
        client.force_login(user_in(role, staff=who.startswith("staff")))
    fact = Fact.objects.first()
    logins = (reverse("admin:login"), reverse("login"))
    for page in admin_pages():
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(logins), page
    preview = reverse("admin:learning_fact_preview") + f"?fact={fact.pk}"
    assert client.post(preview, {}).status_code == 302


def test_a_content_editor_reaches_every_fact_base_admin_page(spine_bank, editor_client):
    for page in admin_pages():
        assert editor_client.get(page).status_code == 200, page


def test_staff_need_the_editor_permission_not_just_model_permissions(spine_bank):
    staff = user_in(None, staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_fact"))
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:learning_fact_changelist")).status_code == 302


def change_data(fact: Fact, **changes: str) -> dict[str, str]:
    """The POST of the fact's change form as the admin renders it, with changes."""
    citations = list(fact.citations.all())
    data = {
        "subject": str(fact.subject_id),
        "relation": str(fact.relation_id),
        "object": str(fact.object_id),
        "qualifier": fact.qualifier,
        "explanation": fact.explanation,
        "status": fact.status,
        "confidence": fact.confidence,
        "disputed_reason": fact.disputed_reason,
        "yield_level": fact.yield_level,
        "citations-TOTAL_FORMS": str(len(citations)),
        "citations-INITIAL_FORMS": str(len(citations)),
        "citations-MIN_NUM_FORMS": "1",
        "citations-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, citation in enumerate(citations):
        data |= {
            f"citations-{i}-id": str(citation.pk),
            f"citations-{i}-fact": str(fact.pk),
            f"citations-{i}-source": str(citation.source_id),
            f"citations-{i}-section": citation.section,
            f"citations-{i}-position": str(citation.position),
        }
    return data | changes


def the_fact() -> Fact:
    return Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )


def test_saving_a_fact_regenerates_its_questions_and_history_records_the_editor(
    spine_bank, editor, editor_client
):
    fact = the_fact()
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    wording = "Tibialis anterior lifts the foot: the L4 key muscle."
    response = editor_client.post(url, change_data(fact, explanation=wording), follow=True)
    assert response.status_code == 200
    assert "questions were regenerated" in response.content.decode()
    for question in Question.objects.filter(facts=fact, is_active=True):
        assert wording in question.explanation
    latest = fact.history.first()
    assert latest.history_user == editor and latest.explanation == wording
    assert latest.prev_record.explanation != wording
    history = editor_client.get(reverse("admin:learning_fact_history", args=[fact.pk]))
    assert editor.username in history.content.decode()


def test_editors_filter_facts_by_yield_and_background_leaves_the_default_deck(
    spine_bank, editor_client
):
    fact = the_fact()
    changelist = reverse("admin:learning_fact_changelist")
    core = editor_client.get(changelist, {"yield_level__exact": "core", "q": "L4 nerve root"})
    assert "ankle dorsiflexion" in core.content.decode().lower()
    background = editor_client.get(changelist, {"yield_level__exact": "background"})
    assert background.status_code == 200
    assert "L4 nerve root" not in background.content.decode()
    assert Question.objects.filter(facts=fact, is_active=True, default_deck=True).exists()

    url = reverse("admin:learning_fact_change", args=[fact.pk])
    editor_client.post(url, change_data(fact, yield_level="background"))

    fact.refresh_from_db()
    assert fact.yield_level == "background"
    asked = Question.objects.filter(facts=fact, is_active=True)
    assert asked and not asked.filter(default_deck=True).exists()
    assert set(asked.values_list("yield_level", flat=True)) == {"background"}


def test_reverting_a_fact_from_its_history_regenerates_its_questions(spine_bank, editor_client):
    fact = the_fact()
    original = fact.explanation
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    editor_client.post(url, change_data(fact, explanation="A wrong explanation."))
    old = fact.history.order_by("history_date")[0]
    revert = reverse("admin:learning_fact_simple_history", args=[fact.pk, old.history_id])
    response = editor_client.post(revert, change_data(fact, explanation=original))
    assert response.status_code == 302
    assert all(
        original in q.explanation for q in Question.objects.filter(facts=fact, is_active=True)
    )


def test_a_fact_given_another_object_leaves_no_question_on_the_old_one(spine_bank, editor_client):
    """The questions of the fact as it was are regenerated too: none still pairs the
    root with the movement it no longer tests."""
    fact = the_fact()
    before = set(Question.objects.filter(facts=fact, is_active=True).values_list("pk", flat=True))
    assert before
    toe = Entity.objects.get(key="movement-great-toe-extension")
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    response = editor_client.post(url, change_data(fact, object=str(toe.pk)), follow=True)
    assert "questions were regenerated" in response.content.decode()
    assert not Question.objects.filter(pk__in=before, is_active=True).exists()
    now_asked = Question.objects.filter(facts=fact, is_active=True)
    assert now_asked.exists()
    for question in now_asked:
        text = " ".join([question.prompt, *question.answers, question.explanation]).lower()
        assert "great toe" in text and "dorsiflexion" not in " ".join(question.answers).lower()


def test_a_broken_form_saves_nothing(spine_bank, editor_client):
    fact = the_fact()
    before = list(Question.objects.filter(facts=fact).values_list("explanation", flat=True))
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    response = editor_client.post(
        url, change_data(fact, confidence="disputed", disputed_reason="", explanation="Changed.")
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()
    fact.refresh_from_db()
    assert fact.explanation != "Changed."
    assert list(Question.objects.filter(facts=fact).values_list("explanation", flat=True)) == before


def test_facts_are_retired_not_deleted(spine_bank, editor_client):
    fact = the_fact()
    assert (
        editor_client.get(reverse("admin:learning_fact_delete", args=[fact.pk])).status_code == 403
    )


def test_the_preview_shows_the_unsaved_facts_questions_with_their_choices(
    spine_bank, editor_client
):
    fact = the_fact()
    url = reverse("admin:learning_fact_preview") + f"?fact={fact.pk}"
    data = change_data(fact, explanation="Previewed, not saved.")
    response = editor_client.post(url, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.count("Previewed, not saved.") >= 2
    assert "Which key muscle function tests the L4 nerve root myotome?" in html
    assert "✓ Ankle dorsiflexion" in html and "✗ " in html
    assert "reworded" in html
    fact.refresh_from_db()
    assert fact.explanation != "Previewed, not saved."
    assert not Question.objects.filter(explanation__contains="Previewed").exists()

    whole = editor_client.post(url, data)
    assert whole.status_code == 200 and "<html" in whole.content.decode()
    assert response["Vary"] and "HX-Request" in whole["Vary"]


def test_the_preview_of_a_changed_answer_and_of_a_broken_form(spine_bank, editor_client):
    fact = the_fact()
    url = reverse("admin:learning_fact_preview") + f"?fact={fact.pk}"
    l5 = Entity.objects.get(key="root-l5")
    moved = editor_client.post(
        url, change_data(fact, subject=str(l5.pk)), headers={"HX-Request": "true"}
    )
    html = moved.content.decode()
    assert "L5 nerve root myotome" in html and "with a changed answer" in html
    broken = editor_client.post(
        url, change_data(fact, subject="999999"), headers={"HX-Request": "true"}
    )
    assert broken.status_code == 422 and "errorlist" in broken.content.decode()
    missing = editor_client.post(reverse("admin:learning_fact_preview") + "?fact=0", {})
    assert missing.status_code == 404


def test_workflow_actions_retire_and_publish_again(spine_bank, editor, editor_client):
    fact = the_fact()
    changelist = reverse("admin:learning_fact_changelist")
    action = {"action": "retire", "_selected_action": [str(fact.pk)]}
    editor_client.post(changelist, action)
    fact.refresh_from_db()
    assert fact.status == Fact.Status.RETIRED
    assert not Question.objects.filter(facts=fact, is_active=True).exists()
    assert fact.history.first().history_user == editor
    editor_client.post(changelist, action | {"action": "publish"})
    assert Question.objects.filter(facts=fact, is_active=True).exists()


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sorted_factbase(factbase):
    return replace(
        factbase,
        facts=tuple(sorted(factbase.facts, key=lambda f: f.key)),
        arguable=tuple(sorted(factbase.arguable, key=lambda a: (a.subject, a.relation, a.object))),
    )


def test_export_then_import_gives_an_identical_fact_base_and_bank(
    spine_bank, editor_client, tmp_path
):
    response = editor_client.get(reverse("admin:learning_fact_export"))
    assert response["Content-Type"] == "application/zip"
    files = unzip(response.content)
    assert "factbase/20-facts.yaml" in files
    for name, text in files.items():
        (tmp_path / name.split("/")[-1]).write_bytes(text)
    before = factbase_from_db()
    assert sorted_factbase(read_factbase(tmp_path)) == sorted_factbase(before)
    bank = list(
        Question.objects.order_by("key").values_list("key", "prompt", "choices", "is_active")
    )

    upload = io.BytesIO(response.content)
    upload.name = "export.zip"
    imported = editor_client.post(reverse("admin:learning_fact_import"), {"files": upload})
    assert imported.status_code == 302
    assert sorted_factbase(factbase_from_db()) == sorted_factbase(before)
    assert (
        list(Question.objects.order_by("key").values_list("key", "prompt", "choices", "is_active"))
        == bank
    )


def test_a_broken_import_names_every_problem_and_changes_nothing(spine_bank, editor_client):
    files = unzip(editor_client.get(reverse("admin:learning_fact_export")).content)
    facts = files["factbase/20-facts.yaml"].decode()
    facts = facts.replace("relation: key-muscle", "relation: no-such-relation", 1)
    facts = facts.replace("status: published", "status: half-done", 1)
    files["factbase/20-facts.yaml"] = facts.encode()
    files["factbase/10-entities.yaml"] += (
        b"\n  - key: root-c5\n    kind: nerve-root\n    name: C5 nerve root\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    buffer.seek(0)
    buffer.name = "broken.zip"
    before = sorted_factbase(factbase_from_db())

    response = editor_client.post(reverse("admin:learning_fact_import"), {"files": buffer})

    html = response.content.decode()
    assert response.status_code == 422
    assert "2 problems" in html and "Nothing was changed" in html
    assert "20-facts.yaml:" in html and "field &#x27;relation&#x27;" in html
    assert "unknown relation &#x27;no-such-relation&#x27;" in html
    assert "field &#x27;status&#x27;" in html and "half-done" in html
    assert sorted_factbase(factbase_from_db()) == before
    assert not Entity.objects.filter(key="root-c5").exists()


def test_an_upload_that_is_not_a_fact_base_is_refused(spine_bank, editor_client):
    upload = io.BytesIO(b"not a zip")
    upload.name = "notes.txt"
    response = editor_client.post(reverse("admin:learning_fact_import"), {"files": upload})
    assert response.status_code == 422 and "Upload a .zip" in response.content.decode()


def test_saving_an_entity_regenerates_the_bank_with_its_new_name(spine_bank, editor_client):
    entity = Entity.objects.get(key="movement-ankle-dorsiflexion")
    url = reverse("admin:learning_entity_change", args=[entity.pk])
    data = {
        "key": entity.key,
        "kind": str(entity.kind_id),
        "name": "ankle dorsiflexion (tibialis anterior)",
        "aliases": '["dorsiflexion"]',
        "levels": [str(lv.pk) for lv in entity.levels.all()],
        "description": entity.description,
        "_save": "Save",
    }
    response = editor_client.post(url, data)
    assert response.status_code == 302
    assert Question.objects.filter(
        is_active=True, choices__icontains="ankle dorsiflexion (tibialis anterior)"
    ).exists()
    assert Citation.objects.exists()


def test_a_fact_the_reader_would_refuse_is_refused_in_the_admin(spine_bank, editor_client):
    fact = the_fact()
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    drug = Entity.objects.get(key="ibuprofen")
    response = editor_client.post(url, change_data(fact, object=str(drug.pk)))
    html = response.content.decode()
    assert response.status_code == 200 and "the relation key-muscle takes" in html
    response = editor_client.post(url, change_data(fact, disputed_reason="Doubtful."))
    assert "Only a disputed fact has a disputed reason" in response.content.decode()
    fact.refresh_from_db()
    assert fact.object.key == "movement-ankle-dorsiflexion" and not fact.disputed_reason


def test_a_preview_of_no_fact_is_not_found(spine_bank, editor_client):
    preview = reverse("admin:learning_fact_preview")
    assert editor_client.post(preview + "?fact=abc", {}).status_code == 404


# What the editors' walk through the admin found --------------------------------------------


def test_the_preview_headline_counts_the_questions_saving_changes(spine_bank, editor_client):
    fact = the_fact()
    url = reverse("admin:learning_fact_preview") + f"?fact={fact.pk}"
    response = editor_client.post(
        url, change_data(fact, explanation="Reworded."), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    own = Question.objects.filter(facts=fact, is_active=True).count()
    changed = int(re.search(r'id="preview-changed">(\d+)<', html)[1])
    # Every question that shows the explanation is reworded, and nothing else changes.
    shows_it = Question.objects.filter(
        is_active=True, explanation__contains=fact.explanation
    ).count()
    assert changed == shows_it and changed >= own
    assert f"{changed} reworded" in html and "0 new" in html and "0 retired" in html
    assert f"This fact's {own} questions" in html
    unchanged = editor_client.post(url, change_data(fact), headers={"HX-Request": "true"})
    assert 'id="preview-changed">no<' in unchanged.content.decode()


def test_a_broken_citation_in_the_preview_is_named_in_words_not_markup(spine_bank, editor_client):
    fact = the_fact()
    url = reverse("admin:learning_fact_preview") + f"?fact={fact.pk}"
    data = change_data(fact) | {"citations-0-source": ""}
    html = editor_client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert "citation 1, source: This field is required." in html
    assert "&lt;ul" not in html and "&lt;li" not in html
    assert '<div role="alert"><ul class="errorlist">' in html


def test_the_history_shows_a_change_whole_with_the_words_that_changed(spine_bank, editor_client):
    fact = the_fact()
    before = fact.explanation
    wording = before + " It is tested with the patient supine, the foot lifted against resistance."
    url = reverse("admin:learning_fact_change", args=[fact.pk])
    assert editor_client.post(url, change_data(fact, explanation=wording)).status_code == 302
    page = editor_client.get(reverse("admin:learning_fact_history", args=[fact.pk]))
    html = page.content.decode()
    assert "chars]" not in html, "nothing is cut"
    changes = html.split('id="change-history"')[1]
    assert "against resistance.</ins>" in changes and before.split()[-1] in changes
    assert "<del>" not in changes, "words were only added"
    # The Content-Security-Policy allows no inline style: the page has none.
    assert "style=" not in html


def test_words_changed_marks_what_was_taken_out_and_put_in_and_escapes_the_rest():
    from learning.content.editing import words_changed

    old, new = words_changed("L2 lies above <L3>.", "L2 lies well above <L3>.")
    assert old == "L2 lies above &lt;L3&gt;."
    assert new == "L2 lies <ins>well </ins>above &lt;L3&gt;."
    old, new = words_changed("A B C", "A X C")
    assert old == "A <del>B</del> C" and new == "A <ins>X</ins> C"


def test_admin_pages_name_the_sites_icon(spine_bank, editor_client):
    html = editor_client.get(reverse("admin:learning_fact_changelist")).content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
