"""Anki export: a real Anki collection imports the package, and updates it on re-export."""

from datetime import timedelta
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from learning.courses.anki import anki_write, note_guid, tag
from learning.exports import anki_questions
from learning.models import Question

pytestmark = pytest.mark.django_db


def _import(collection: Collection, package: Path):
    # Anki's own default for a package import: update a note when the package's is newer.
    return collection.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
    )


@pytest.fixture
def collection(tmp_path):
    col = Collection(str(tmp_path / "collection.anki2"))
    yield col
    col.close()


def test_tags_are_hierarchical_and_hold_no_spaces():
    assert tag("SpineQuiz", "Topic", "Neurology", "Key sensory points") == (
        "SpineQuiz::Topic::Neurology::Key_sensory_points"
    )


def test_a_deck_imports_into_anki_with_one_note_per_question_and_updates_on_re_export(
    spine_bank, collection, tmp_path
):
    questions = list(
        Question.objects.active()
        .filter(levels__key="L2", default_deck=True)
        .select_related("topic")
        .order_by("key")[:40]
    )
    out = tmp_path / "l2.apkg"
    assert anki_write("L2 block", anki_questions(questions), out) == 40

    _import(collection, out)

    notes = [collection.get_note(nid) for nid in collection.find_notes("")]
    assert len(notes) == 40 and collection.card_count() == 40
    by_guid = {n.guid: n for n in notes}
    assert set(by_guid) == {note_guid(q.key) for q in questions}
    first = questions[0]
    note = by_guid[note_guid(first.key)]
    assert "SpineQuiz::Level::L2" in note.tags
    assert any(t.startswith("SpineQuiz::Topic::") for t in note.tags)
    assert first.explanation[:30].replace("'", "&#x27;") in note["Explanation"]
    assert note["Sources"] and note["Key"] == first.key
    assert [d.name for d in collection.decks.all_names_and_ids() if "L2" in d.name] == [
        "SpineQuiz::L2 block"
    ]
    assert len(collection.find_notes('tag:"SpineQuiz::Level::L2"')) == 40

    # An editor rewords one question; the next export updates that note in place.
    first.prompt = "Reworded: " + first.prompt
    first.updated_at = first.updated_at + timedelta(minutes=5)
    log = _import(collection, _rewrite(questions, tmp_path))

    assert len(log.log.updated) == 1 and len(log.log.new) == 0
    assert collection.note_count() == 40 and collection.card_count() == 40
    assert collection.get_note(collection.find_notes(f"Key:{first.key}")[0])["Question"].startswith(
        "Reworded: "
    )


def _rewrite(questions, tmp_path):
    out = tmp_path / "again.apkg"
    anki_write("L2 block", anki_questions(questions), out)
    return out


def test_html_in_a_question_is_shown_as_text_in_anki(spine_bank, collection, tmp_path):
    question = Question.objects.active().select_related("topic").first()
    question.prompt = '<script>alert("x")</script> Which root <b>exits</b> here?'
    out = tmp_path / "one.apkg"
    anki_write("Escapes", anki_questions([question]), out)
    _import(collection, out)
    note = collection.get_note(collection.find_notes("")[0])
    assert "<script>" not in note["Question"] and "&lt;script&gt;" in note["Question"]


# Decks, by command and by download ------------------------------------------------


def _deck_notes(collection, package: Path) -> int:
    _import(collection, package)
    return collection.note_count()


def test_export_anki_writes_a_decks_questions(spine_bank, collection, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from tests.factories import DeckFactory

    deck = DeckFactory(name="L1-L2 block", levels=["L1-L2"])
    out = tmp_path / "block.apkg"
    stdout = StringIO()
    call_command("export_anki", "--deck", "L1-L2 block", "--out", str(out), stdout=stdout)
    assert _deck_notes(collection, out) == deck.questions().count() > 0
    assert f"Wrote {deck.questions().count()} notes" in stdout.getvalue()


def test_export_anki_says_which_deck_is_meant_when_names_repeat(spine_bank, tmp_path):
    from django.core.management import CommandError, call_command

    from tests.factories import DeckFactory

    DeckFactory(name="Dermatomes", topics=["dermatome"])
    DeckFactory(name="Dermatomes", levels=["L2"])
    with pytest.raises(CommandError, match="2 decks are named 'Dermatomes'"):
        call_command("export_anki", "--deck", "Dermatomes", "--out", str(tmp_path / "d.apkg"))
    with pytest.raises(CommandError, match="No deck is named"):
        call_command("export_anki", "--deck", "Nothing", "--out", str(tmp_path / "d.apkg"))


def test_a_learner_downloads_their_own_deck_and_their_assignments_only(
    spine_bank, collection, tmp_path
):
    from django.test import Client
    from django.urls import reverse

    from tests.factories import (
        AssignmentFactory,
        CourseFactory,
        DeckFactory,
        EnrolmentFactory,
        UserFactory,
    )

    learner, other = UserFactory(), UserFactory()
    mine = DeckFactory(owner=learner, course=None, name="Mine", levels=["L2"])
    theirs = DeckFactory(owner=other, course=None, name="Theirs", levels=["L2"])
    course = CourseFactory()
    assignment = AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L1"]))
    elsewhere = AssignmentFactory()
    EnrolmentFactory(course=course, learner=learner)
    client = Client()
    client.force_login(learner)

    response = client.get(reverse("deck_anki", args=[mine.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="spinequiz-mine.apkg"')
    package = tmp_path / "mine.apkg"
    package.write_bytes(b"".join(response.streaming_content))
    assert _deck_notes(collection, package) == mine.questions().count()
    assert client.get(reverse("assignment_anki", args=[assignment.pk])).status_code == 200
    assert client.get(reverse("deck_anki", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("assignment_anki", args=[elsewhere.pk])).status_code == 404
    assert client.post(reverse("deck_anki", args=[mine.pk])).status_code == 405


def test_only_the_courses_instructors_download_its_decks(spine_bank):
    from django.test import Client
    from django.urls import reverse

    from tests.factories import CourseFactory, DeckFactory, InstructorFactory, UserFactory

    teacher, stranger = InstructorFactory(), InstructorFactory()
    course = CourseFactory(instructors=[teacher])
    deck = DeckFactory(course=course, levels=["L2"])
    url = reverse("teach_deck_anki", args=[course.pk, deck.pk])
    statuses = []
    for user in (teacher, stranger, UserFactory()):
        client = Client()
        client.force_login(user)
        statuses.append(client.get(url).status_code)
    assert statuses == [200, 404, 403]
    assert Client().get(url).status_code == 302
