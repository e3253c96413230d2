"""Loading the fact base into the database, and generating the stored bank."""

import io
import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from learning.content.factbase import read_factbase
from learning.content.generation import generate_questions
from learning.content.selectors import factbase_from_db
from learning.content.services import factbase_load
from learning.figures.data import read_figures
from learning.figures.questions import figure_questions
from learning.models import ArguablePair, Citation, Entity, Fact, Question, Relation
from learning.study.regeneration import bank_regenerate

pytestmark = pytest.mark.django_db

FACTBASE = Path(settings.FACTBASE_DIR)


def snapshot() -> dict[str, list[tuple]]:
    return {
        "entities": list(Entity.objects.order_by("pk").values_list()),
        "facts": list(Fact.objects.order_by("pk").values_list()),
        "citations": list(Citation.objects.order_by("pk").values_list()),
        "arguable": list(ArguablePair.objects.order_by("pk").values_list()),
        "questions": list(Question.objects.order_by("pk").values_list()),
    }


def test_the_fact_base_in_the_database_gives_the_same_bank_as_the_files():
    from_files = generate_questions(read_factbase(FACTBASE))
    assert generate_questions(factbase_from_db()) == from_files
    # The bank also holds the questions asked on the figures beside the facts.
    on_figures = figure_questions(read_factbase(FACTBASE), read_figures(FACTBASE / "figures"))
    assert Question.objects.active().count() == len(from_files) + len(on_figures)


def test_loading_and_generating_twice_changes_nothing():
    before = snapshot()
    out = io.StringIO()
    call_command("load_factbase", stdout=out)
    assert "Nothing changed" in out.getvalue()
    report = bank_regenerate(now=timezone.now() + timedelta(days=1))
    assert not report.changed
    assert snapshot() == before


@pytest.mark.parametrize(
    "broken",
    [
        "facts:\n  - subject: root-l1\n    relation: exits-through\n    object: nowhere\n"
        "    sources: ['moore: x']\n",
        "entities:\n  - key: new-thing\n    kind: no-such-kind\n    name: new thing\n",
        "facts: [\n",
    ],
)
def test_a_broken_file_loads_nothing(broken, tmp_path):
    folder = tmp_path / "factbase"
    shutil.copytree(FACTBASE, folder)
    # A good change and a broken one: neither may land.
    (folder / "98-good.yaml").write_text(
        "entities:\n  - key: root-c5\n    kind: nerve-root\n    name: C5 nerve root\n"
    )
    (folder / "99-broken.yaml").write_text(broken)
    before = snapshot()
    with pytest.raises(CommandError, match="99-broken.yaml") as raised:
        call_command("load_factbase", str(folder))
    assert "Nothing was loaded" in str(raised.value)
    assert snapshot() == before
    assert not Entity.objects.filter(key="root-c5").exists()


def test_a_fact_taken_out_of_the_files_is_retired_and_its_questions_kept():
    factbase = read_factbase(FACTBASE)
    gone = next(f for f in factbase.facts if f.relation == "key-muscle" and f.is_published)
    fact = Fact.objects.get(
        subject__key=gone.subject, relation__key=gone.relation, object__key=gone.object
    )
    asked = list(Question.objects.filter(facts=fact, is_active=True).values_list("pk", flat=True))
    assert asked

    factbase_load(
        factbase=replace(factbase, facts=tuple(f for f in factbase.facts if f.key != gone.key))
    )
    report = bank_regenerate(now=timezone.now())

    fact.refresh_from_db()
    assert fact.status == Fact.Status.RETIRED
    assert report.retired["questions"] >= 1
    assert not Question.objects.filter(facts=fact, is_active=True).exists()
    assert Question.objects.filter(pk__in=asked).count() == len(asked), "history is kept"


def test_new_wording_updates_questions_in_place():
    relation = Relation.objects.get(key="exits-through")
    asked = Question.objects.filter(template="mcq-reverse", facts__relation=relation).first()
    key, answers = asked.key, asked.answers
    relation.reverse = "Which root exits through the {object}?"
    relation.save()

    report = bank_regenerate(now=timezone.now())

    asked.refresh_from_db()
    assert asked.key == key and asked.answers == answers and asked.is_active
    assert asked.prompt.startswith("Which root exits through the ")
    assert asked.answer_changed_at is None
    assert report.updated["questions"] >= 1 and not report.created["questions"]


def test_export_bank_writes_one_object_per_active_question_in_the_agreed_shape(tmp_path):
    out = tmp_path / "bank.jsonl"
    call_command("export_bank", "--format", "jsonl", "--out", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == Question.objects.active().count()
    for line in lines:
        item = json.loads(line)
        assert list(item) == [
            "key",
            "kind",
            "prompt",
            "answers",
            "choices",
            "explanation",
            "facts",
            "levels",
            "topic",
            "yield",
            "default_deck",
        ] + (["figure"] if "figure" in item else [])
        assert item["kind"] in Question.Kind.values
        assert item["yield"] in ("core", "supporting", "background")
        assert isinstance(item["default_deck"], bool)
        assert isinstance(item["prompt"], str) and item["prompt"]
        assert item["answers"] and all(isinstance(a, str) for a in item["answers"])
        assert isinstance(item["choices"], list)
        assert item["facts"]
        for fact in item["facts"]:
            assert list(fact) == ["subject", "relation", "object", "source"]
            # The citation as a learner reads it: a title and a section, never a file.
            assert fact["source"] and ".md" not in fact["source"]
            assert "_" not in fact["source"].split(",")[0]
        assert all(isinstance(lv, str) for lv in item["levels"])
        assert item["topic"]


def test_export_bank_to_a_missing_folder_is_refused_cleanly(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_bank", "--out", str(tmp_path / "nope" / "bank.jsonl"))


def test_export_factbase_then_import_factbase_changes_nothing(tmp_path):
    before = snapshot()
    out = io.StringIO()
    call_command("export_factbase", "--out", str(tmp_path / "export"), stdout=out)
    assert "8 files" in out.getvalue()
    exported = read_factbase(tmp_path / "export")
    assert sorted(exported.facts, key=lambda f: f.key) == sorted(
        factbase_from_db().facts, key=lambda f: f.key
    )
    out = io.StringIO()
    call_command("import_factbase", str(tmp_path / "export"), stdout=out)
    assert "Nothing changed" in out.getvalue()
    assert snapshot() == before


def test_import_factbase_regenerates_the_questions_of_a_changed_fact(tmp_path):
    folder = tmp_path / "factbase"
    shutil.copytree(FACTBASE, folder)
    facts = folder / "21-neurology.yaml"
    marker = "subject: root-l4\n    relation: key-muscle\n    object: movement-ankle-dorsiflexion\n"
    text = facts.read_text(encoding="utf-8")
    at = text.index("    explanation: >-\n      ", text.index(marker)) + len(
        "    explanation: >-\n      "
    )
    facts.write_text(text[:at] + "Read again from the import. " + text[at:], encoding="utf-8")
    call_command("import_factbase", str(folder), stdout=io.StringIO())
    fact = Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )
    assert fact.explanation.startswith("Read again from the import.")
    asked = Question.objects.filter(facts=fact, is_active=True, template__startswith="mcq")
    assert asked and all("Read again from the import." in q.explanation for q in asked)


def test_a_fact_imported_as_background_takes_its_questions_out_of_the_default_deck(tmp_path):
    call_command("export_factbase", "--out", str(tmp_path / "export"), stdout=io.StringIO())
    facts = tmp_path / "export" / "20-facts.yaml"
    text = facts.read_text(encoding="utf-8")
    marker = (
        "- subject: root-l4\n    relation: key-muscle\n    object: movement-ankle-dorsiflexion\n"
    )
    at = text.index("    yield: core\n", text.index(marker))
    facts.write_text(
        text[:at] + "    yield: background\n" + text[at + len("    yield: core\n") :],
        encoding="utf-8",
    )
    fact = Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )
    asked = Question.objects.filter(facts=fact, is_active=True)
    assert asked and all(q.default_deck and q.yield_level == "core" for q in asked)

    call_command("import_factbase", str(tmp_path / "export"), stdout=io.StringIO())

    fact.refresh_from_db()
    assert fact.yield_level == "background"
    asked = Question.objects.filter(facts=fact, is_active=True)
    assert asked and not any(q.default_deck for q in asked)
    assert all(q.yield_level == "background" for q in asked)
    # Background comes last in the order of new questions.
    core = Question.objects.filter(is_active=True, yield_level="core")
    assert max(core.values_list("position", flat=True)) < min(q.position for q in asked)


def test_a_broken_import_is_refused_whole(tmp_path):
    folder = tmp_path / "factbase"
    shutil.copytree(FACTBASE, folder)
    (folder / "99-broken.yaml").write_text("facts:\n  - subject: root-l1\n")
    before = snapshot()
    with pytest.raises(CommandError, match="Nothing was imported") as raised:
        call_command("import_factbase", str(folder))
    assert "99-broken.yaml" in str(raised.value) and "field 'relation'" in str(raised.value)
    assert snapshot() == before


def test_export_factbase_refuses_a_folder_with_other_fact_base_files(tmp_path):
    (tmp_path / "50-mine.yaml").write_text("facts: []\n")
    with pytest.raises(CommandError, match="50-mine.yaml"):
        call_command("export_factbase", "--out", str(tmp_path))
