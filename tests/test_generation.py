"""Question generation, checked against the facts by code that shares none of its logic."""

import itertools
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from learning.content.factbase import (
    YIELDS,
    Arguable,
    Citation,
    Entity,
    FactBase,
    Kind,
    Level,
    Relation,
    Source,
    Topic,
    read_factbase,
)
from learning.content.factbase import (
    FactValue as Fact,
)
from learning.content.generation import (
    BankFigures,
    FactBaseSource,
    generate_questions,
    regenerate_touched,
)


@pytest.fixture(scope="module")
def spine() -> FactBase:
    return read_factbase(Path(settings.FACTBASE_DIR))


@pytest.fixture(scope="module")
def bank(spine):
    return generate_questions(spine)


# An independent judge of truth --------------------------------------------


class Judge:
    """What the fact base holds true, computed without the generator's code."""

    def __init__(self, factbase: FactBase) -> None:
        self.factbase = factbase
        self.published = {
            (f.subject, f.relation, f.object)
            for f in factbase.facts
            if f.status == "published" and f.confidence != "disputed"
        }
        never_wrong = {
            (f.subject, f.relation, f.object)
            for f in factbase.facts
            if f.status != "retired" and f.confidence != "disputed"
        }
        never_wrong |= {(a.subject, a.relation, a.object) for a in factbase.arguable}
        # What is true of one member of a group (a drug class) is true enough of all: one
        # step from what the fact base says, as the generator reads it. Generalising from
        # triples already generalised made a chain through two classes (a drug in both)
        # count as true, in an order that changed with the hash seed.
        said = frozenset(never_wrong)
        for relation in factbase.relations.values():
            if not relation.generalizes_over:
                continue
            groups = defaultdict(set)
            for s, r, o in self.published:
                if r == relation.generalizes_over:
                    groups[o].add(s)
            for members in groups.values():
                for s, r, o in said:
                    if r == relation.key and s in members:
                        never_wrong |= {(m, r, o) for m in members}
        self.never_wrong = never_wrong
        self.by_name = defaultdict(set)
        for key, entity in factbase.entities.items():
            self.by_name[entity.name.casefold()].add(key)

    def keys(self, shown: str) -> set[str]:
        keys = self.by_name[shown.casefold()]
        assert keys, f"choice {shown!r} names no entity"
        return keys

    def statement(self, s: str, r: str, o: str) -> str:
        e = self.factbase.entities
        text = self.factbase.relations[r].statement
        text = text.replace("{subject}", e[s].name).replace("{object}", e[o].name)
        return text[:1].upper() + text[1:]

    def check(self, question) -> None:
        facts = [tuple(k.split(" ")) for k in question.facts]
        assert question.citations, question.key
        assert question.explanation, question.key
        wrong = [c for c in question.choices if c not in question.answers]
        template = question.template
        if template in ("mcq-forward", "multi-forward", "typed-forward"):
            s, r, _ = facts[0]
            self._side(question, wrong, lambda k: (s, r, k))
        elif template in ("mcq-reverse", "multi-reverse", "typed-reverse"):
            _, r, o = facts[0]
            self._side(question, wrong, lambda k: (k, r, o))
        elif template == "vignette-foramen-deficit":
            s, r, _ = facts[1]
            self._side(question, wrong, lambda k: (s, r, k))
        elif template == "vignette-condition":
            s, r, o = facts[-1]
            condition = facts[0][0]
            if s == condition:
                self._side(question, wrong, lambda k: (condition, r, k))
            else:
                self._side(question, wrong, lambda k: (k, r, condition))
        elif template == "vignette-root-findings":
            root = facts[0][0]
            name = self.factbase.entities[root].name
            assert question.answers == (name[:1].upper() + name[1:],)
            for choice in wrong:
                for w in self.keys(choice):
                    substituted = [
                        (w if s == root else s, r, w if o == root else o) for s, r, o in facts
                    ]
                    assert any(t not in self.never_wrong for t in substituted), (
                        f"{question.key}: {choice} fits every finding"
                    )
        elif template.startswith("tf-") and template != "tf-inaccuracy":
            assert question.choices == ("True", "False")
            if question.answers == ("True",):
                assert any(self._says(question.prompt, t) for t in self.published), question.key
            else:
                assert not any(self._says(question.prompt, t) for t in self.never_wrong), (
                    f"{question.key}: a true statement is marked false: {question.prompt}"
                )
        elif template == "tf-inaccuracy":
            assert question.answers == ("False",) and not question.default_deck
            (fact,) = [f for f in self.factbase.facts if f.key == question.facts[0]]
            assert fact.confidence == "disputed"
        elif template == "span-forward":
            subject, relation = facts[0][0], facts[0][1]
            held = {o for s, r, o in self.published if s == subject and r == relation}
            assert {o for _, _, o in facts} == held
            assert len(question.choices) == 4 and len(set(question.choices)) == 4
        elif template == "order-steps":
            # Every step belongs to the whole, and each comes directly before the next.
            (whole,) = {o for s, r, o in facts if self.factbase.relations[r].ordered_by}
            chain = [self.keys(a) for a in question.answers]
            grouping = next(r for s, r, o in facts if self.factbase.relations[r].ordered_by)
            step = self.factbase.relations[grouping].ordered_by
            for keys in chain:
                assert any((k, grouping, whole) in self.published for k in keys), question.key
            for before, after in itertools.pairwise(chain):
                assert any((b, step, a) in self.published for b in before for a in after), (
                    question.key
                )
            assert sorted(question.choices) == sorted(question.answers)
            assert question.choices != question.answers
        elif template == "order-window":
            orders = [
                min(self.factbase.levels[lv].order for lv in self.factbase.entities[s].levels)
                for s, _, _ in facts
            ]
            assert orders == sorted(orders) and len(set(orders)) == len(orders)
            assert sorted(question.choices) == sorted(question.answers)
        else:
            pytest.fail(f"no check for template {template}")

    def _says(self, prompt: str, triple: tuple[str, str, str]) -> bool:
        text = self.statement(*triple)
        return prompt == f"True or false? {text}" or prompt.endswith(
            f", {text[:1].lower()}{text[1:]}"
        )

    def _side(self, question, wrong, triple_for) -> None:
        for choice in wrong:
            for key in self.keys(choice):
                assert triple_for(key) not in self.never_wrong, (
                    f"{question.key}: wrong choice {choice!r} is true: {question.prompt}"
                )
        for answer in question.answers:
            assert any(triple_for(k) in self.published for k in self.keys(answer)), (
                f"{question.key}: answer {answer!r} is not a fact: {question.prompt}"
            )
        if question.kind == "multi":
            true_shown = [
                c
                for c in question.choices
                if any(triple_for(k) in self.published for k in self.keys(c))
            ]
            assert list(question.answers) == true_shown


def directions_covered(factbase: FactBase, questions) -> dict[str, set[str]]:
    covered = defaultdict(set)
    for question in questions:
        for key in question.facts:
            if question.direction == "both":
                covered[key] |= {"forward", "reverse"}
            else:
                covered[key].add(question.direction)
    return covered


# The spine bank -------------------------------------------------------------


def test_the_same_facts_give_the_same_bank_whatever_their_order(spine, bank):
    shuffled = list(spine.facts)
    random.Random(7).shuffle(shuffled)
    assert generate_questions(replace(spine, facts=tuple(shuffled))) == bank


def test_no_wrong_choice_is_true_and_every_answer_is_a_fact(spine, bank):
    judge = Judge(spine)
    for question in bank:
        judge.check(question)


def test_every_published_fact_is_asked_in_both_directions(spine, bank):
    covered = directions_covered(spine, bank)
    for fact in spine.facts:
        if fact.is_published:
            assert {"forward", "reverse"} <= covered[fact.key], fact.key


def test_the_bank_has_every_kind_of_question(bank):
    kinds = {q.kind for q in bank}
    assert kinds == {"mcq", "multi", "typed", "truefalse", "order", "vignette"}
    templates = {q.template for q in bank}
    # A condition's vignette asks about causes, treatments or advice, whose lists are
    # examples: no stem decides one key there, so it is not asked as a single answer.
    assert {"vignette-root-findings", "vignette-foramen-deficit"} <= templates


def test_disputed_statements_are_only_asked_as_inaccuracies_outside_default_decks(spine, bank):
    disputed = {f.key for f in spine.facts if f.confidence == "disputed"}
    for question in bank:
        if set(question.facts) & disputed:
            assert question.template == "tf-inaccuracy"
            assert question.answers == ("False",)
            assert not question.default_deck


def test_which_nerve_root_supplies_the_anterior_thigh(spine, bank):
    """The mission's own example. L1 and L2 overlap over the thigh, so "which root carries
    sensation from the thigh" has no single key; the ISNCSCI key sensory point decides."""
    single = [q for q in bank if q.kind in ("mcq", "typed") and q.template.endswith("reverse")]
    thigh_points = {}
    for question in single:
        s, r, o = question.facts[0].split(" ")
        if "thigh" in spine.entities[o].name and "nerve root" in question.prompt.lower():
            assert r == "key-sensory-point", question.prompt
            thigh_points[s] = question
    assert {"root-l1", "root-l2"} <= set(thigh_points)
    assert thigh_points["root-l2"].answers == ("L2 nerve root",)
    assert thigh_points["root-l1"].answers == ("L1 nerve root",)


def yields_follow_the_facts(factbase: FactBase, bank) -> None:
    """A question is as essential as the least essential fact it asks about; background
    stays out of the default decks; new questions come core first."""
    yields = {f.key: f.yield_level for f in factbase.facts}
    for question in bank:
        least = max((yields[k] for k in question.facts), key=YIELDS.index)
        assert question.yield_level == least, question.key
        if least == "background":
            assert not question.default_deck, question.key
    in_order = sorted(bank, key=lambda q: q.position)
    ranks = [YIELDS.index(q.yield_level) for q in in_order]
    assert ranks == sorted(ranks)


def test_questions_take_their_facts_yield_and_new_ones_come_core_first(spine, bank):
    yields_follow_the_facts(spine, bank)
    figures = BankFigures.of(bank)
    assert all(figures.by_yield.values())
    first_day = sorted((q for q in bank if q.default_deck), key=lambda q: q.position)[:20]
    assert {q.yield_level for q in first_day} == {"core"}


def test_at_most_a_quarter_of_the_default_deck_rests_only_on_the_least_reliable_seed(bank):
    figures = BankFigures.of(bank)
    assert figures.share_only_seed_004 <= 0.25, figures.lines()


# The claims a named standard contradicts (issue 13): each is disputed, naming the
# standard, and asked only as "spot the inaccuracy"; the standard reading is a fact.
CONTRADICTED = {
    "pfn-l1-l2 red-flag-of rf-persistent-symptoms": "NICE",
    "ptest-stork positive-means pm-stork": "Magee",
    "gabapentin treats pfn-l1-l2": "NICE NG59",
    "pregabalin treats pfn-l1-l2": "NICE NG59",
}
STANDARD_READING = [
    "low-back-pain red-flag-of rf-saddle-anaesthesia",
    "pfn-l1-l2 advised advice-review-persisting",
    "ptest-stork positive-means pm-stork-std",
    "class-gabapentinoid not-recommended-for sciatica",
]


def test_claims_a_standard_contradicts_are_disputed_and_never_keyed_true(spine, bank):
    facts = {f.key: f for f in spine.facts}
    judge = Judge(spine)
    for key, standard in CONTRADICTED.items():
        fact = facts[key]
        assert fact.confidence == "disputed" and standard in fact.disputed_reason, key
        claim = judge.statement(fact.subject, fact.relation, fact.object)
        for question in bank:
            if key in question.facts:
                assert question.template == "tf-inaccuracy", question.key
                assert question.answers == ("False",) and not question.default_deck
            elif question.answers == ("True",):
                assert claim[:-1] not in question.prompt, question.prompt
        assert any(q.template == "tf-inaccuracy" and q.facts[0] == key for q in bank), (
            f"{key} is not asked as an inaccuracy"
        )
    for key in STANDARD_READING:
        assert facts[key].is_published, key
        asked = [q for q in bank if key in q.facts and q.default_deck]
        assert asked, key


def test_typed_answers_accept_the_aliases(bank):
    typed = [q for q in bank if q.kind == "typed"]
    assert typed
    for question in typed:
        for answer in question.answers:
            assert answer.casefold() in {a.casefold() for a in question.accepted}
        assert not {a.casefold() for a in question.accepted} & {
            r.casefold() for r in question.rejected
        }


# Random fact bases -----------------------------------------------------------

LEVELS = {f"L{n}": Level(f"L{n}", "vertebral", n * 100, "lumbar") for n in range(1, 7)}
KINDS = {
    k: Kind(k, k, text=(k == "phrase"))
    for k in (
        "root",
        "area",
        "phrase",
        "condition",
        "cause",
        "symptom",
        "drug",
        "class",
        "effect",
        "step",
        "whole",
    )
}
RELATIONS = {
    "supplies": Relation(
        "supplies",
        "t",
        ("root",),
        ("area",),
        "What does {subject} supply?",
        "Which root supplies {object}?",
        "{subject} supplies {object}.",
        many_objects=True,
        many_subjects=True,
        typed=("subject",),
        orderable=True,
        order_prompt="Order these areas.",
    ),
    "described": Relation(
        "described",
        "t",
        ("root",),
        ("phrase",),
        "What is {subject}?",
        "Which root is this: {object}?",
        "{subject} is {object}.",
    ),
    "causes": Relation(
        "causes",
        "t",
        ("condition",),
        ("cause",),
        "What causes {subject}?",
        "What does {object} cause?",
        "{object} causes {subject}.",
        many_objects=True,
        many_subjects=True,
        closed=False,
        contrast="shows",
    ),
    "shows": Relation(
        "shows",
        "t",
        ("condition",),
        ("symptom",),
        "What does {subject} show?",
        "Which condition shows {object}?",
        "{subject} shows {object}.",
        many_objects=True,
        closed=False,
        contrast="causes",
    ),
    "member": Relation(
        "member",
        "t",
        ("drug",),
        ("class",),
        "Which class is {subject}?",
        "Which drug is a {object}?",
        "{subject} is a {object}.",
        many_subjects=True,
    ),
    "effect": Relation(
        "effect",
        "t",
        ("drug",),
        ("effect",),
        "What does {subject} cause?",
        "Which drug causes {object}?",
        "{subject} causes {object}.",
        many_objects=True,
        many_subjects=True,
        generalizes_over="member",
    ),
    "part": Relation(
        "part",
        "t",
        ("step",),
        ("whole",),
        "Which whole has the step {subject}?",
        "Which of these is a step of {object}?",
        "{subject} is a step of {object}.",
        many_objects=True,
        many_subjects=True,
        closed=False,
        order_prompt="Put the steps of {object} in order.",
        ordered_by="then",
    ),
    "then": Relation(
        "then",
        "t",
        ("step",),
        ("step",),
        "What comes after {subject}?",
        "What comes before {object}?",
        "{subject} comes before {object}.",
        many_objects=True,
        many_subjects=True,
        closed=False,
    ),
}
SIDES = {r.key: (r.subject_kinds[0], r.object_kinds[0]) for r in RELATIONS.values()}


def _entities() -> dict[str, Entity]:
    entities = {}
    counts = {
        "root": 6,
        "area": 6,
        "phrase": 6,
        "condition": 2,
        "cause": 5,
        "symptom": 5,
        "drug": 6,
        "class": 3,
        "effect": 6,
        "step": 5,
        "whole": 2,
    }
    for kind, n in counts.items():
        for i in range(1, n + 1):
            levels = (f"L{i}",) if kind == "root" else ()
            entities[f"{kind}-{i}"] = Entity(f"{kind}-{i}", kind, f"{kind} {i}", (), levels)
    return entities


ENTITIES = _entities()
TRIPLES = [
    (s, r, o)
    for r, (sk, ok) in SIDES.items()
    for s in ENTITIES
    if ENTITIES[s].kind == sk
    for o in ENTITIES
    if ENTITIES[o].kind == ok
]


@st.composite
def factbases(draw) -> FactBase:
    chosen = draw(st.lists(st.sampled_from(TRIPLES), min_size=5, max_size=60, unique=True))
    facts, arguable = [], []
    for s, r, o in chosen:
        roll = draw(st.integers(0, 19))
        if roll == 0:
            arguable.append(Arguable(s, r, o, "arguably true"))
            continue
        status = {1: "draft", 2: "retired", 3: "flagged"}.get(roll, "published")
        confidence = "disputed" if roll == 4 else "standard"
        facts.append(
            Fact(
                s,
                r,
                o,
                (Citation("src", "Chapter 1"),),
                "",
                "",
                confidence,
                "doubtful" if confidence == "disputed" else "",
                status,
                draw(st.sampled_from(YIELDS)),
            )
        )
    return FactBase(
        sources={"src": Source("src", "standard", "A standard text", "the standard text")},
        topics={"t": Topic("t", "Topic")},
        kinds=KINDS,
        levels=LEVELS,
        relations=RELATIONS,
        entities=ENTITIES,
        facts=tuple(facts),
        arguable=tuple(arguable),
    )


@given(factbases(), st.randoms(use_true_random=False))
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_fact_bases_give_fair_deterministic_banks(factbase, rnd):
    bank = generate_questions(factbase)
    shuffled = list(factbase.facts)
    rnd.shuffle(shuffled)
    assert generate_questions(replace(factbase, facts=tuple(shuffled))) == bank
    judge = Judge(factbase)
    for question in bank:
        judge.check(question)
    covered = directions_covered(factbase, bank)
    for fact in factbase.facts:
        if fact.is_published:
            assert {"forward", "reverse"} <= covered[fact.key]
    yields_follow_the_facts(factbase, bank)


def _sequence_base(links: list[tuple[str, str]]) -> FactBase:
    cite = (Citation("src", "Chapter 3"),)
    facts = [Fact(f"step-{i}", "part", "whole-1", cite) for i in range(1, 5)]
    facts += [Fact(a, "then", b, cite, f"{a} leads to {b}.") for a, b in links]
    return FactBase(
        sources={"src": Source("src", "standard", "A standard text", "the standard text")},
        topics={"t": Topic("t", "Topic")},
        kinds=KINDS,
        levels=LEVELS,
        relations=RELATIONS,
        entities=ENTITIES,
        facts=tuple(facts),
    )


def test_the_steps_of_a_whole_are_asked_in_order_only_as_one_unbroken_line():
    line = [("step-1", "step-2"), ("step-2", "step-3"), ("step-3", "step-4")]
    (asked,) = [q for q in generate_questions(_sequence_base(line)) if q.kind == "order"]
    assert asked.template == "order-steps"
    assert asked.prompt == "Put the steps of whole 1 in order."
    assert asked.answers == ("Step 1", "Step 2", "Step 3", "Step 4")
    assert sorted(asked.choices) == sorted(asked.answers) and asked.choices != asked.answers
    assert asked.citations == ("src: Chapter 3",)
    assert "step-2 leads to step-3." in asked.explanation
    Judge(_sequence_base(line)).check(asked)

    branch = [*line, ("step-2", "step-4")]
    gap = line[:1] + line[2:]
    loop = [*line, ("step-4", "step-1")]
    for links in (branch, gap, loop):
        assert not [q for q in generate_questions(_sequence_base(links)) if q.kind == "order"]


# Regenerating a slice --------------------------------------------------------


@st.composite
def edits(draw, factbase: FactBase) -> tuple[FactBase, list[tuple[str, str, str]]]:
    """The fact base with one fact added, re-statused, disputed, moved or removed, and
    the triples before and after."""
    facts = list(factbase.facts)
    taken = {f.key for f in facts} | {
        f"{a.subject} {a.relation} {a.object}" for a in factbase.arguable
    }
    free = [t for t in TRIPLES if " ".join(t) not in taken]
    kind = draw(st.sampled_from(["add", "status", "dispute", "yield", "move", "remove"]))
    if kind == "add" or not facts:
        s, r, o = draw(st.sampled_from(free))
        facts.append(Fact(s, r, o, (Citation("src", "Chapter 2"),), "", "", "standard"))
        return replace(factbase, facts=tuple(facts)), [(s, r, o)]
    i = draw(st.integers(0, len(facts) - 1))
    old = facts[i]
    before = (old.subject, old.relation, old.object)
    if kind == "status":
        facts[i] = replace(
            old, status=draw(st.sampled_from(["draft", "published", "flagged", "retired"]))
        )
    elif kind == "dispute":
        facts[i] = replace(old, confidence="disputed", disputed_reason="doubtful")
    elif kind == "yield":
        facts[i] = replace(old, yield_level=draw(st.sampled_from(YIELDS)))
    elif kind == "move":
        moves = [
            t
            for t in free
            if t[1] == old.relation
            and t[0] == old.subject
            or t[2] == old.object
            and t[1] == old.relation
        ]
        if not moves:
            return replace(factbase, facts=tuple(facts)), [before]
        s, r, o = draw(st.sampled_from(moves))
        facts[i] = replace(old, subject=s, object=o)
    else:
        del facts[i]
    after = facts[i] if kind != "remove" else old
    return replace(factbase, facts=tuple(facts)), [
        before,
        (after.subject, after.relation, after.object),
    ]


@given(st.data())
@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_slice_regenerates_exactly_the_questions_an_edit_can_change(data):
    factbase = data.draw(factbases())
    edited, triples = data.draw(edits(factbase))
    before = {q.key: q for q in generate_questions(factbase)}
    after = {q.key: q for q in generate_questions(edited)}

    origins, questions, _ = regenerate_touched(FactBaseSource(edited), triples)

    changed = [k for k in before.keys() | after.keys() if before.get(k) != after.get(k)]
    for key in changed:
        question = after.get(key) or before[key]
        assert question.origin in origins, f"{question.origin} changed but was not regenerated"
    assert questions == [q for q in after.values() if q.origin in origins]


@pytest.mark.parametrize(
    "edit",
    [
        ("remove", ("step-2", "then", "step-3")),
        ("add", ("step-2", "then", "step-4")),
        ("remove", ("step-4", "part", "whole-1")),
    ],
)
def test_editing_a_step_regenerates_its_sequence_from_a_slice(edit):
    line = [("step-1", "step-2"), ("step-2", "step-3"), ("step-3", "step-4")]
    factbase = _sequence_base(line)
    action, triple = edit
    if action == "remove":
        edited = replace(
            factbase, facts=tuple(f for f in factbase.facts if f.key != " ".join(triple))
        )
    else:
        edited = replace(
            factbase, facts=(*factbase.facts, Fact(*triple, (Citation("src", "Chapter 3"),)))
        )
    before = {q.key: q for q in generate_questions(factbase)}
    after = {q.key: q for q in generate_questions(edited)}
    origins, questions, _ = regenerate_touched(FactBaseSource(edited), [triple])
    assert "sequence|part whole-1" in origins
    for key in before.keys() | after.keys():
        if before.get(key) != after.get(key):
            assert (after.get(key) or before[key]).origin in origins
    assert questions == [q for q in after.values() if q.origin in origins]


def test_saving_a_fact_reads_a_slice_that_stops_growing_with_the_fact_base(spine):
    """Ten and twenty copies of the fact base: the same passes, about the same questions,
    and a slice bounded by them. Each question reads the facts of the few wrong options
    it explains, which copies of the fact base spread over more entities; so the slice is
    bounded per question, not fixed."""
    from bench.scaling import scaled

    triples = [("ibuprofen", "drug-class", "class-nsaid")]
    sizes = []
    for copies in (10, 20):
        origins, questions, read = regenerate_touched(
            FactBaseSource(scaled(spine, copies)), triples
        )
        sizes.append((len(origins), len(questions), len(read.about), read.passes))
        # Facts about at most a handful of entities per question, of tens of thousands.
        assert len(read.about) <= 8 * len(questions)
    (origins, questions, _, passes), larger = sizes
    assert larger[3] == passes
    assert larger[0] <= origins * 1.2 and larger[1] <= questions * 1.2
