"""Questions on figures leave SpineQuiz with their drawings: Anki media, the bank export."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from django.core.management import CommandError, call_command

from learning.courses.anki import anki_write, note_guid
from learning.exports import anki_questions
from learning.models import Question

pytestmark = pytest.mark.django_db


def test_anki_imports_figure_questions_with_their_drawings_as_media(spine_bank, tmp_path):
    questions = list(
        Question.objects.active().exclude(figure="").select_related("topic").order_by("key")[:6]
    )
    text_question = Question.objects.active().filter(figure="").order_by("key").first()
    root_question = Question.objects.get(
        is_active=True,
        template="mcq-forward",
        facts__subject__key="root-l2",
        facts__relation__key="key-sensory-point",
    )
    out = tmp_path / "figures.apkg"
    exported = anki_questions([*questions, text_question, root_question])
    assert anki_write("Figures", exported, out) == 8

    collection = Collection(str(tmp_path / "collection.anki2"))
    try:
        collection.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(out), options=ImportAnkiPackageOptions())
        )
        media = collection.media.dir()
        notes = {
            collection.get_note(n).guid: collection.get_note(n) for n in collection.find_notes("")
        }
        for question in questions:
            note = notes[note_guid(question.key)]
            front, back = f"spinequiz-{question.key}.svg", f"spinequiz-{question.key}-answer.svg"
            assert f'<img src="{front}"' in note["Question"]
            assert f'<img src="{back}"' in note["Explanation"]
            for name in (front, back):
                root = ET.parse(f"{media}/{name}").getroot()
                assert root.find("{http://www.w3.org/2000/svg}title").text
            assert "marked in green" in Path(media, back).read_text(encoding="utf-8")
        assert "<img" not in notes[note_guid(text_question.key)]["Question"]
        # A question in words about a root: its figure, answer marked, on the back only.
        note = notes[note_guid(root_question.key)]
        assert "<img" not in note["Question"]
        back = f"spinequiz-{root_question.key}-answer.svg"
        assert f'<img src="{back}"' in note["Explanation"]
        desc = ET.parse(f"{media}/{back}").getroot().find("{http://www.w3.org/2000/svg}desc")
        assert root_question.answers[0] in desc.text
        assert collection.media.check().missing == []
    finally:
        collection.close()


def test_export_bank_names_each_figure_and_writes_the_drawings_beside(spine_bank, tmp_path):
    out = tmp_path / "bank.jsonl"
    call_command("export_bank", "--out", str(out), "--figures")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    on_figures = [r for r in rows if "figure" in r]
    assert len(on_figures) == Question.objects.active().exclude(figure="").count() > 0
    for row in on_figures:
        assert row["figure"] == f"{row['key']}.svg"
        root = ET.parse(tmp_path / row["figure"]).getroot()
        assert root.find("{http://www.w3.org/2000/svg}desc").text
        assert row["facts"] and all(f["source"] for f in row["facts"])
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == sorted(r["figure"] for r in on_figures)
    assert all("figure" not in r for r in rows if r not in on_figures)


def test_export_bank_writes_figures_only_beside_a_file(spine_bank):
    with pytest.raises(CommandError, match="give --out too"):
        call_command("export_bank", "--figures")
