"""Figures in the fact base: the data, the drawing, and the questions asked on them."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from learning.content import itemrules
from learning.content.factbase import FactBase, read_factbase
from learning.content.generation import FactBaseSource
from learning.figures.data import LETTERS, Figure, FigureError, Shape, read_figures
from learning.figures.drawing import figure_svg
from learning.figures.questions import answer_entity, figure_questions

FIGURES = Path(settings.FACTBASE_DIR) / "figures"
SVG = "{http://www.w3.org/2000/svg}"


@functools.cache
def factbase() -> FactBase:
    return read_factbase(settings.FACTBASE_DIR)


@functools.cache
def figures() -> dict[str, Figure]:
    return read_figures(FIGURES, factbase())


@functools.cache
def questions() -> tuple:
    return tuple(figure_questions(factbase(), figures()))


# The data ----------------------------------------------------------------------------


def test_every_region_links_to_an_entity_and_to_published_facts_about_it():
    fb = factbase()
    published = {f.key: f for f in fb.facts if f.is_published}
    assert set(figures()) == {
        "lumbar-side",
        "foramen-l1-l2",
        "key-sensory-points",
        "myotome-movements",
    }
    for figure in figures().values():
        assert figure.source.source in fb.sources
        for region in figure.regions:
            assert region.entity in fb.entities, (figure.key, region.entity)
            assert region.facts, (figure.key, region.entity)
            for key in region.facts:
                assert key in published, (figure.key, key)
                assert region.entity in (published[key].subject, published[key].object)


def test_the_key_sensory_points_are_the_standards_and_the_movements_its_key_muscles():
    fb = factbase()
    points = figures()["key-sensory-points"]
    assert points.source.source == "isncsci"
    assert "ISNCSCI" in points.description and "ASIA" in points.description
    assert "no dermatome areas" in points.note
    for level in ("t12", "l1", "l2", "l3", "l4", "l5", "s1"):
        region = points.region(f"keypoint-{level}")
        assert region is not None and region.shape.kind == "point"
        (fact,) = [f for f in fb.facts if f.key in region.facts]
        assert (fact.subject, fact.relation) == (f"root-{level}", "key-sensory-point")
        assert any(c.source == "isncsci" for c in fact.citations)
    movements = figures()["myotome-movements"]
    assert movements.source.source == "isncsci"
    key_muscles = {
        "movement-hip-flexion": "root-l2",
        "movement-knee-extension": "root-l3",
        "movement-ankle-dorsiflexion": "root-l4",
        "movement-great-toe-extension": "root-l5",
        "movement-ankle-plantarflexion": "root-s1",
    }
    assert {r.entity for r in movements.regions} == set(key_muscles)
    for movement, root in key_muscles.items():
        region = movements.region(movement)
        assert region.shape.kind == "arrow"
        assert f"{root} key-muscle {movement}" in region.facts


def _broken(tmp_path: Path, text: str) -> FigureError:
    (tmp_path / "10-broken.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FigureError) as caught:
        read_figures(tmp_path, factbase())
    return caught.value


GOOD = (FIGURES / "40-myotome-movements.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "entity: movement-knee-extension",
            "entity: movement-knee-bending",
            "entity",
            "unknown entity 'movement-knee-bending'",
        ),
        (
            "- root-l3 key-muscle movement-knee-extension",
            "- root-l4 key-muscle movement-knee-extension",
            "facts",
            "is not a published fact",
        ),
        ('source: "isncsci: Key muscles"', 'source: "atlas: Plate 1"', "source", "unknown"),
        ("kind: myotomes", "kind: dermatome-map", "kind", "is not one of"),
    ],
)
def test_a_broken_figure_is_refused_with_its_file_line_and_field(
    tmp_path, old, new, field, message
):
    text = GOOD.replace(old, new, 1)
    error = _broken(tmp_path, text)
    (problem,) = error.problems
    assert problem.file.endswith("10-broken.yaml")
    # A list item is reported at its field's line, the one just above it here.
    assert problem.line == _line_of(text, new) - (1 if field == "facts" else 0)
    assert problem.field == field
    assert message in problem.message
    shown = str(error)
    assert f"10-broken.yaml:{problem.line}" in shown and f"field '{field}'" in shown


def test_shapes_letters_and_yaml_are_checked_too(tmp_path):
    text = GOOD.replace("shape: {arrow: [[118, 290]", "shape: {arrow: [[118, true]", 1)
    (problem,) = _broken(tmp_path, text).problems
    assert (problem.field, problem.line) == ("arrow", _line_of(text, "[[118, true]"))
    text = GOOD.replace("label: [30, 230]", "label: [30]", 1)
    (problem,) = _broken(tmp_path, text).problems
    assert (problem.field, problem.line) == ("label", _line_of(text, "label: [30]"))
    text = GOOD + "\nkey: twice\n"
    (problem,) = _broken(tmp_path, text).problems
    assert problem.line == _line_of(text, "key: twice")
    assert "duplicate field 'key'" in problem.message
    text = GOOD + "\ncolour: red\n"
    (problem,) = _broken(tmp_path, text).problems
    assert (problem.field, problem.message) == ("colour", "is not a field of a figure")


def test_load_factbase_refuses_a_broken_figure_and_loads_nothing(tmp_path, db):
    from django.core.management import CommandError, call_command

    from learning.models import Fact

    copy = tmp_path / "factbase"
    copy.mkdir()
    for path in Path(settings.FACTBASE_DIR).glob("*.yaml"):
        (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (copy / "figures").mkdir()
    broken = GOOD.replace("entity: movement-hip-flexion", "entity: movement-hip-flex", 1)
    (copy / "figures" / "40-myotome-movements.yaml").write_text(broken, encoding="utf-8")
    before = Fact.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("load_factbase", str(copy))
    line = _line_of(broken, "entity: movement-hip-flex")
    assert f"40-myotome-movements.yaml:{line}" in str(caught.value)
    assert "field 'entity'" in str(caught.value)
    assert "Nothing was loaded" in str(caught.value)
    assert Fact.objects.count() == before


# The drawing -------------------------------------------------------------------------


def _parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


@pytest.mark.parametrize("key", sorted(read_figures(FIGURES)))
def test_the_title_and_description_do_not_give_the_answer_away(key):
    fb = factbase()
    lettered = set()
    for question in questions():
        if question.figure != key:
            continue
        marks = dict(question.figure_marks)
        root = _parsed(figure_svg(figures()[key], marks, ident="q"))
        text = root.find(f"{SVG}title").text + " " + root.find(f"{SVG}desc").text
        if question.template == "figure-letter":
            # Read out, every letter question of a figure sounds the same.
            lettered.add(text)
            assert "carry the letters A to D" in text
        else:
            entity = answer_entity(question.template, marks, question.answers)
            assert fb.entities[entity].name.casefold() not in text.casefold(), question.prompt
            assert question.answers[0].casefold() not in text.casefold(), question.prompt
    assert len(lettered) == 1


def test_the_feedback_drawing_names_and_marks_the_answer():
    figure = figures()["lumbar-side"]
    svg = figure_svg(
        figure, {"vertebra-l2": "highlight"}, ident="f", answer="vertebra-l2", answer_name="L2"
    )
    root = _parsed(svg)
    assert "The answer, L2, is marked in green." in root.find(f"{SVG}desc").text
    assert 'fill="#2f9e44"' in svg and 'fill="#e8590c"' not in svg


# Hypothesis: whatever the figure's shape, the questions keep their promises ----------


@st.composite
def reshaped_figures(draw: st.DrawFn) -> Figure:
    """A real figure with some of its regions, moved anywhere: the geometry decides
    which neighbours are offered and lettered, so it must never break a question."""
    figure = draw(st.sampled_from(list(figures().values())))
    kept = draw(
        st.lists(
            st.sampled_from(figure.regions), min_size=4, max_size=len(figure.regions), unique=True
        )
    )
    coordinate = st.floats(min_value=0, max_value=400, allow_nan=False).map(round)
    regions = []
    for region in kept:
        if region.shape.kind in ("point", "rect", "ellipse"):
            values = (draw(coordinate), draw(coordinate), *region.shape.values[2:])
        else:
            dx, dy = draw(coordinate) - 200, draw(coordinate) - 200
            values = tuple(
                v + (dx if i % 2 == 0 else dy) for i, v in enumerate(region.shape.values)
            )
        regions.append(replace(region, shape=Shape(region.shape.kind, values, region.shape.style)))
    return replace(figure, regions=tuple(regions))


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reshaped_figures())
def test_a_figure_question_keys_what_it_marks_and_letters_each_region_once(figure):
    fb = factbase()
    asked = figure_questions(fb, {figure.key: figure})
    findings = [f for f in itemrules.lint(asked, fb) if f.rule in ("one-best-answer", "same-stem")]
    assert not findings
    drawn = {r.entity for r in figure.regions}
    for question in asked:
        marks = dict(question.figure_marks)
        assert set(marks) <= drawn
        entity = answer_entity(question.template, marks, question.answers)
        if question.template == "figure-letter":
            letters = list(marks.values())
            assert sorted(letters) == sorted(LETTERS)  # four regions, four letters, no twice
            assert question.choices == LETTERS and question.answers[0] == marks[entity]
        else:
            assert [e for e, m in marks.items() if m == "highlight"] == [entity]
            if question.template == "figure-name":
                assert question.answers[0].casefold() == fb.entities[entity].name.casefold()
            else:  # the one root whose key point or key muscle is highlighted
                (fact,) = question.facts
                assert fact.endswith(f" {figure.via} {entity}")
                root = fact.split(" ")[0]
                assert question.answers[0].casefold() == fb.entities[root].name.casefold()
        root = _parsed(figure_svg(figure, marks, ident="h"))
        assert root.find(f"{SVG}title").text == figure.title
        assert root.find(f"{SVG}desc").text.startswith(figure.description)


# The questions -----------------------------------------------------------------------


def test_questions_per_figure_kind():
    per_kind = Counter(figures()[q.figure].kind for q in questions())
    assert per_kind == {"spine": 28, "foramen": 15, "key-points": 21, "myotomes": 15}


def test_figure_questions_pass_the_item_writing_lint_with_the_whole_bank():
    from learning.content.generation import generate_questions

    fb = factbase()
    bank = [*generate_questions(fb), *questions()]
    keys = {q.key for q in questions()}
    assert not [f for f in itemrules.lint(bank, fb) if f.question in keys]


def test_figure_questions_carry_facts_sources_and_reasons():
    sources = factbase().sources
    for question in questions():
        assert question.facts and question.citations
        assert all(c.split(":", 1)[0] in sources for c in question.citations)
        assert len(question.choices) == 4 and len(question.wrong) == 3
        assert all(w.fact and w.reason for w in question.wrong)


def test_the_confusable_neighbours_come_first():
    (question,) = [
        q
        for q in questions()
        if q.template == "figure-name" and dict(q.figure_marks) == {"vertebra-l2": "highlight"}
    ]
    assert sorted(question.choices) == ["L1 vertebra", "L2 vertebra", "L3 vertebra", "T12 vertebra"]
    (question,) = [
        q
        for q in questions()
        if q.template == "figure-via" and dict(q.figure_marks) == {"keypoint-l3": "highlight"}
    ]
    # The roots of the levels next to L3 are always among the options.
    assert {"L2 nerve root", "L3 nerve root", "L4 nerve root"} <= set(question.choices)


def test_a_slice_of_the_fact_base_gives_the_same_figure_questions(settings):
    from learning.figures.stored import figure_questions_touched

    origins, sliced = figure_questions_touched(
        FactBaseSource(factbase()), [("root-l3", "key-muscle", "movement-knee-extension")]
    )
    assert origins == {"figure|myotome-movements"}
    whole = [q for q in questions() if q.figure == "myotome-movements"]
    assert sliced == whole
