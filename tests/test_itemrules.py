"""The item-writing rules (NBME guide, Case and Swanson) as a lint over the bank."""

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from learning.content.factbase import (
    Citation,
    Entity,
    FactBase,
    Kind,
    Relation,
    read_factbase,
)
from learning.content.factbase import (
    FactValue as Fact,
)
from learning.content.generation import GeneratedQuestion as Question
from learning.content.generation import WrongAnswer, generate_questions
from learning.content.itemrules import counts, is_plural_stem, key_cue, lint
from tests.test_generation import ENTITIES, KINDS, RELATIONS, factbases


@pytest.fixture(scope="module")
def spine() -> FactBase:
    return read_factbase(Path(settings.FACTBASE_DIR))


@pytest.fixture(scope="module")
def bank(spine):
    return generate_questions(spine)


# The real bank ---------------------------------------------------------------


def test_the_real_bank_keeps_every_item_writing_rule(spine, bank):
    # Stored questions keep their facts unordered: the lint must not depend on the order.
    findings = lint(bank, spine) + lint(
        [replace(q, facts=tuple(reversed(q.facts))) for q in bank], spine
    )
    shown = "\n".join(f"{f.rule}: {f.message} [{f.question}]" for f in findings[:20])
    assert not findings, f"{len(findings)} broken rules, the first:\n{shown}"


def test_no_stem_of_the_real_bank_is_keyed_two_ways(bank):
    keys = defaultdict(set)
    for question in bank:
        if question.kind in ("mcq", "typed", "vignette"):
            keys[question.prompt.casefold()].add(question.answers)
    assert all(len(k) == 1 for k in keys.values())


def test_the_cauda_equina_is_one_question_about_its_span(bank):
    asked = [q for q in bank if "cauda equina" in q.prompt and "lie" in q.prompt]
    forward = [q for q in asked if q.direction in ("forward", "both")]
    (span,) = forward
    assert span.template == "span-forward" and len(span.facts) == 7
    assert span.answers == ("From the L2-L3 segment to the L5-S1 segment",)
    assert span.prompt.endswith("at which levels does the cauda equina lie in most adults?")


def test_single_answer_mcqs_have_three_explained_distractors_of_the_keys_kind(spine, bank):
    kinds = defaultdict(set)
    for entity in spine.entities.values():
        kinds[entity.name.casefold()].add(entity.kind)
    for question in bank:
        if question.kind not in ("mcq", "vignette"):
            continue
        assert len(question.choices) == 4 and len(question.answers) == 1
        wrong = [c for c in question.choices if c not in question.answers]
        if question.template != "span-forward":
            shared = set.intersection(*(kinds[c.casefold()] for c in question.choices))
            assert shared, question.prompt
        assert [w.option for w in question.wrong] == sorted(
            wrong, key=[w.option for w in question.wrong].index
        )
        assert {w.option for w in question.wrong} == set(wrong)


def test_a_drug_dose_is_never_among_supplement_doses(spine, bank):
    said_of = defaultdict(set)
    for fact in spine.facts:
        if fact.relation == "dosed-as" and fact.is_published:
            said_of[spine.entities[fact.object].name.casefold()].add(
                spine.entities[fact.subject].kind
            )
    for question in bank:
        if question.template == "mcq-forward" and question.facts[0].split(" ")[1] == "dosed-as":
            kinds = [said_of[c.casefold()] for c in question.choices]
            assert set.intersection(*kinds), question.prompt


def test_why_each_wrong_answer_is_wrong_comes_from_a_published_fact(spine, bank):
    published = {f.key: f for f in spine.facts if f.is_published}
    seen = 0
    for question in bank:
        for wrong in question.wrong:
            fact = published[wrong.fact]
            names = {spine.entities[fact.subject].name, spine.entities[fact.object].name}
            if question.template == "span-forward":
                # A span is wrong for a level of the true span it leaves out.
                assert fact.key in question.facts
            else:
                assert wrong.option.casefold() in {n.casefold() for n in names}
            assert wrong.citations and not any(".md" in c for c in wrong.citations)
            seen += 1
    assert seen > 500
    # The issue's own example: L3 offered for the L2 key sensory point.
    l3 = [w for q in bank for w in q.wrong if w.option == "L3 nerve root"]
    assert any("medial femoral condyle" in w.reason for w in l3)


def test_stems_explanations_and_statements_read_as_plain_english(spine, bank):
    for question in bank:
        assert "this:" not in question.prompt and "this way:" not in question.prompt
        assert "(Name any one.)" not in question.prompt
    qualifiers = {f.key: f.qualifier for f in spine.facts if f.qualifier}
    for question in bank:
        for key in question.facts:
            if key in qualifiers:
                assert f"({qualifiers[key]})" not in question.explanation


# The rules themselves: each one fails on a question that breaks it ------------

FACTBASE = FactBase(
    kinds={"root": Kind("root", "nerve root"), "area": Kind("area", "area of the body")},
    relations={
        "supplies": Relation(
            "supplies",
            "t",
            ("root",),
            ("area",),
            "Which area does the {subject} supply?",
            "Which nerve root supplies the {object}?",
            "The {subject} supplies the {object}.",
            many_objects=True,
            many_subjects=True,
        )
    },
    entities={
        **{f"root-{n}": Entity(f"root-{n}", "root", f"L{n} nerve root") for n in range(1, 5)},
        "groin": Entity("groin", "area", "groin"),
        "knee": Entity("knee", "area", "knee"),
        "thigh": Entity("thigh", "area", "thigh"),
        "foot": Entity("foot", "area", "foot"),
    },
    facts=tuple(
        Fact(s, "supplies", o, (Citation("src", "Chapter 1"),), status="published")
        for s, o in [
            ("root-1", "groin"),
            ("root-2", "groin"),
            ("root-3", "knee"),
            ("root-4", "foot"),
            ("root-2", "thigh"),
        ]
    ),
)


def question(**overrides) -> Question:
    """A fair MCQ about the knee, to be broken one rule at a time."""
    values = dict(
        key="mcq-knee",
        kind="mcq",
        prompt="Which nerve root supplies the knee?",
        choices=("L3 nerve root", "L4 nerve root", "L2 nerve root", "L1 nerve root"),
        answers=("L3 nerve root",),
        explanation="The L3 root supplies the knee.",
        facts=("root-3 supplies knee",),
        citations=("src: Chapter 1",),
        levels=(),
        topic="t",
        template="mcq-reverse",
        direction="reverse",
        wrong=(
            WrongAnswer(
                "L4 nerve root",
                "The L4 nerve root supplies the foot.",
                "root-4 supplies foot",
                ("x",),
            ),
            WrongAnswer(
                "L2 nerve root",
                "The L2 nerve root supplies the thigh.",
                "root-2 supplies thigh",
                ("x",),
            ),
            WrongAnswer(
                "L1 nerve root",
                "The L1 nerve root supplies the groin.",
                "root-1 supplies groin",
                ("x",),
            ),
        ),
    )
    values.update(overrides)
    return Question(**values)


def rules_broken(*questions: Question) -> dict[str, int]:
    return {rule: n for rule, n in counts(lint(questions, FACTBASE)).items() if n}


def test_a_fair_question_breaks_no_rule():
    assert rules_broken(question()) == {}


def test_a_stem_with_two_right_answers_has_no_best_answer():
    groin = question(
        prompt="Which nerve root supplies the groin?",
        answers=("L1 nerve root",),
        facts=("root-1 supplies groin",),
        choices=("L1 nerve root", "L3 nerve root", "L4 nerve root"),
        wrong=(),
    )
    broken = rules_broken(groin)
    assert broken["one-best-answer"] == 1
    assert broken["four-options"] == 1 and broken["wrong-unexplained"] == 2


def test_one_stem_keyed_two_ways_is_found_on_both_questions():
    other = question(key="mcq-knee-2", answers=("L4 nerve root",))
    assert rules_broken(question(), other)["same-stem"] == 2


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"prompt": "Which nerve roots supply the knee?"}, "plural-stem"),
        ({"prompt": "Which nerve root supplies this: knee?"}, "this-template"),
        ({"explanation": "The L3 root supplies the knee (patterns vary)."}, "bracket"),
        ({"prompt": "Which nerve root supplies the {object}?"}, "bracket"),
        (
            {
                "choices": ("L3 nerve root", "L4 nerve root", "Never the L2 root", "L1 nerve root"),
                "wrong": (),
            },
            "absolute-words",
        ),
    ],
)
def test_each_wording_rule_catches_its_flaw(overrides, rule):
    assert rule in rules_broken(question(**overrides))


def test_a_key_that_echoes_the_stem_is_a_cue():
    assert key_cue(["gabapentin"], ["Gabapentinoid", "Opioid", "NSAID", "SNRI"], ["Gabapentinoid"])
    assert key_cue(
        ["motor strength testing"],
        ["The strength of the hip flexors", "Gait"],
        ["The strength of the hip flexors"],
    )
    # Every option names a level: the learner must still know which one.
    assert not key_cue(["L2-L3 foramen"], ["L2 nerve root", "L3 nerve root"], ["L2 nerve root"])
    # Words of the kind of thing are not distinctive.
    assert not key_cue(
        ["L1 nerve root"],
        ["Ilioinguinal nerve", "Lumbar plexus"],
        ["Ilioinguinal nerve"],
        {"nerve"},
    )


def test_a_wrong_option_of_another_category_is_found():
    mixed = question(choices=("L3 nerve root", "L4 nerve root", "Groin", "L1 nerve root"))
    assert "option-category" in rules_broken(mixed)


@pytest.mark.parametrize(
    ("stem", "plural"),
    [
        ("Which nerve roots contribute motor fibres to hip flexion?", True),
        ("Which nerve roots does the patellar reflex test?", True),
        ("Which nerve root carries sensation from the groin?", False),
        ("Which structure forms the roof of the L1-L2 foramen?", False),
        ("Which vertebra lies directly below the L1 vertebra?", False),
        ("What do teams check or watch for straight after surgery?", False),
        ("Which of these is a cause of foraminal stenosis?", False),
    ],
)
def test_plural_stems_are_told_from_singular_ones(stem, plural):
    assert is_plural_stem(stem) is plural


# Random fact bases with one-to-many relations ----------------------------------

DOSES = {
    "dose": Relation(
        "dose",
        "t",
        ("drug", "supplement"),
        ("phrase",),
        "What dose of {subject} is given?",
        "Which agent is given at {object}?",
        "{subject} is given at {object}.",
        many_subjects=True,
    )
}
DOSE_ENTITIES = {
    **{
        f"supplement-{i}": Entity(f"supplement-{i}", "supplement", f"supplement {i}")
        for i in range(1, 5)
    },
    **{f"dose-{i}": Entity(f"dose-{i}", "phrase", f"{i * 100} mg daily") for i in range(1, 9)},
}
DOSE_TRIPLES = [
    (s, "dose", o)
    for s in [*(f"drug-{i}" for i in range(1, 7)), *(f"supplement-{i}" for i in range(1, 5))]
    for o in (f"dose-{i}" for i in range(1, 9))
]


@st.composite
def factbases_with_doses(draw) -> FactBase:
    """The generator tests' random fact bases, with drug and supplement doses beside them:
    one dose may be given for several agents, a drug's never among a supplement's."""
    factbase = draw(factbases())
    chosen = draw(st.lists(st.sampled_from(DOSE_TRIPLES), max_size=25, unique=True))
    doses = tuple(
        Fact(s, r, o, (Citation("src", "Chapter 3"),), confidence="standard") for s, r, o in chosen
    )
    return replace(
        factbase,
        kinds={**KINDS, "supplement": Kind("supplement", "supplement")},
        relations={**RELATIONS, **DOSES},
        entities={**ENTITIES, **DOSE_ENTITIES},
        facts=factbase.facts + doses,
    )


@given(factbases_with_doses())
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_fact_bases_give_one_best_answer_and_four_options_of_the_keys_category(factbase):
    bank = generate_questions(factbase)
    findings = lint(bank, factbase)
    assert not findings, findings[:5]
    keyed = defaultdict(set)
    for question in bank:
        if question.kind in ("mcq", "typed", "vignette"):
            keyed[question.prompt].add(question.answers)
        if question.kind in ("mcq", "vignette"):
            assert len(question.choices) == 4 and len(question.answers) == 1
            kinds = {
                e.kind
                for c in question.choices
                for e in factbase.entities.values()
                if e.name == c.casefold() or e.name == c[:1].lower() + c[1:]
            }
            assert len(kinds) == 1, question
    assert all(len(keys) == 1 for keys in keyed.values())
