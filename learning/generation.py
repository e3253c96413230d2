"""Question generation: a pure function of the fact base.

`generate_questions(factbase)` returns the whole bank. Nothing here reads the
clock or a global random generator: every choice is drawn from a
`random.Random` seeded by the question's key, so the same facts give the same
bank, byte for byte.

The one rule that matters most: a wrong answer (distractor) is never true.
An entity is offered as wrong only if it is of the answer's kind, is not
linked by a fact of any status except disputed or retired, is not listed as
arguable, and is not true of another member of the subject's group (a drug
class). Open relations (causes, symptoms ...) draw wrong answers only from
their contrast relation or contrast kinds, never from mere absence.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from learning.factbase import Entity, Fact, FactBase, Relation

KINDS = ("mcq", "multi", "typed", "truefalse", "order", "vignette")
KIND_NAMES = {
    "mcq": "Single answer",
    "multi": "Select all that apply",
    "typed": "Typed answer",
    "truefalse": "True or false",
    "order": "Put in order",
    "vignette": "Clinical vignette",
}
TRUE, FALSE = "True", "False"
MCQ_DISTRACTORS = 3
MIN_DISTRACTORS = 2
MULTI_MAX_CHOICES = 6
MULTI_MAX_SHOWN_ANSWERS = 4
ORDER_WINDOW = 4


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    answers: tuple[str, ...]
    explanation: str
    facts: tuple[str, ...]
    citations: tuple[str, ...]
    levels: tuple[str, ...]
    topic: str
    template: str
    direction: str
    default_deck: bool = True
    accepted: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()


def question_key(kind: str, template: str, direction: str, anchor: str) -> str:
    """A stable key from what the question asks: its facts, template and direction."""
    digest = hashlib.sha1(f"{template}|{direction}|{anchor}".encode()).hexdigest()[:12]
    return f"{kind}-{digest}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# The index: what is true, what is blocked --------------------------------


@dataclass
class _Index:
    factbase: FactBase
    published: list[Fact] = field(default_factory=list)
    objects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    subjects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked: set[tuple[str, str, str]] = field(default_factory=set)
    disputed_by_subject: dict[tuple[str, str], list[Fact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    disputed_by_object: dict[tuple[str, str], list[Fact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    subject_side: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    object_side: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    signature: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    by_kind: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_relation: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    holders: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    _similar: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, factbase: FactBase) -> _Index:
        index = cls(factbase)
        for fact in factbase.facts:
            if fact.status == "retired":
                continue
            index.subject_side[fact.relation].add(fact.subject)
            index.object_side[fact.relation].add(fact.object)
            if fact.confidence == "disputed":
                index.disputed_by_subject[(fact.subject, fact.relation)].append(fact)
                index.disputed_by_object[(fact.relation, fact.object)].append(fact)
                continue
            # Draft and flagged facts are not asked, but may well be true.
            index.blocked.add((fact.subject, fact.relation, fact.object))
            if fact.status != "published":
                continue
            index.published.append(fact)
            index.objects[(fact.subject, fact.relation)].add(fact.object)
            index.subjects[(fact.relation, fact.object)].add(fact.subject)
            index.signature[fact.subject].add((fact.relation, fact.object))
            index.signature[fact.object].add(("~" + fact.relation, fact.subject))
        for pair in factbase.arguable:
            index.blocked.add((pair.subject, pair.relation, pair.object))
        index.published.sort(key=lambda f: f.key)
        for fact in index.published:
            index.by_relation[fact.relation].append(fact)
        for key, entity in sorted(factbase.entities.items()):
            index.by_kind[entity.kind].append(key)
        for key, links in index.signature.items():
            for link in links:
                index.holders[link].append(key)
        for disputed in (*index.disputed_by_subject.values(), *index.disputed_by_object.values()):
            disputed.sort(key=lambda f: f.key)
        return index

    # Entities and levels

    def entity(self, key: str) -> Entity:
        return self.factbase.entities[key]

    def name(self, key: str) -> str:
        return self.factbase.entities[key].name

    def order(self, key: str) -> int | None:
        orders = [self.factbase.levels[lv].order for lv in self.entity(key).levels]
        return min(orders) if orders else None

    def is_text(self, key: str) -> bool:
        kind = self.factbase.kinds.get(self.entity(key).kind)
        return bool(kind and kind.text)

    def levels_of(self, facts: Iterable[Fact]) -> tuple[str, ...]:
        keys = {lv for f in facts for e in (f.subject, f.object) for lv in self.entity(e).levels}
        return tuple(sorted(keys, key=lambda lv: self.factbase.levels[lv].order))

    # Truth

    def group(self, relation: Relation, subject: str) -> set[str]:
        """The subject and every subject sharing a group with it (a drug class)."""
        if not relation.generalizes_over:
            return {subject}
        grouping = relation.generalizes_over
        members = {subject}
        for group in self.objects.get((subject, grouping), ()):
            members |= self.subjects.get((grouping, group), set())
        return members

    def is_blocked(self, relation: Relation, subject: str, object_: str) -> bool:
        """True when (subject, relation, object) must never be called wrong."""
        for member in self.group(relation, subject):
            if (member, relation.key, object_) in self.blocked:
                return True
        return False

    def similar_to(self, key: str) -> dict[str, int]:
        """How many (relation, other) links each entity shares with `key` (memoised)."""
        if key not in self._similar:
            counts: dict[str, int] = defaultdict(int)
            for link in self.signature.get(key, ()):
                for holder in self.holders[link]:
                    counts[holder] += 1
            self._similar[key] = counts
        return self._similar[key]


# Distractors -----------------------------------------------------------


def _rank(
    index: _Index,
    candidates: Iterable[str],
    answers: Sequence[str],
    anchor: str,
    rng: random.Random,
    owners: dict[str, set[str]] | None = None,
) -> list[str]:
    """Order candidates from most to least confusable with the answers."""
    answer_orders = [o for o in (index.order(a) for a in answers) if o is not None]
    like_anchor = index.similar_to(anchor)
    like_answers = [index.similar_to(a) for a in answers]

    def score(candidate: str) -> tuple[float, ...]:
        level = 0.0
        order = index.order(candidate)
        if order is not None and answer_orders:
            level = 1.0 / (1 + min(abs(order - a) for a in answer_orders))
        shared = max((like_anchor.get(o, 0) for o in (owners or {}).get(candidate, ())), default=0)
        for like_answer in like_answers:
            shared = max(shared, like_answer.get(candidate, 0))
        return (-level, -shared, rng.random())

    return sorted(sorted(set(candidates)), key=score)


def _distinct(index: _Index, keys: Iterable[str], taken: set[str]) -> list[str]:
    """Drop keys whose displayed name repeats one already shown."""
    out = []
    for key in keys:
        name = index.name(key).casefold()
        if name not in taken:
            taken.add(name)
            out.append(key)
    return out


def _closed_pool(
    index: _Index, members: set[str], truths: set[str], wrong: Callable[[str], bool]
) -> list[str]:
    """Wrong answers of a closed relation: entities of the answer's kind on the same side
    of the relation; other entities of that kind only when those are too few."""
    kinds = {index.entity(t).kind for t in truths}
    pool = [m for m in members if index.entity(m).kind in kinds and wrong(m)]
    if len(pool) < MCQ_DISTRACTORS and not any(index.is_text(t) for t in truths):
        pool += [k for kind in kinds for k in index.by_kind[kind] if k not in members and wrong(k)]
    return pool


def wrong_pool(index: _Index, relation: Relation, given: str, *, forward: bool) -> list[str]:
    """Entities that are wrong answers about `given`: objects for a subject (forward) or
    subjects for an object (reverse)."""
    if forward:
        truths = index.objects.get((given, relation.key), set())
        members = index.object_side[relation.key]
        contrast = index.objects.get((given, relation.contrast), set())
        contrast_kinds = relation.contrast_kinds
    else:
        truths = index.subjects.get((relation.key, given), set())
        members = index.subject_side[relation.key]
        contrast = index.subjects.get((relation.contrast_reverse, given), set())
        contrast_kinds = relation.contrast_reverse_kinds

    def wrong(candidate: str) -> bool:
        subject, object_ = (given, candidate) if forward else (candidate, given)
        return (
            candidate != given
            and candidate not in truths
            and not index.is_blocked(relation, subject, object_)
        )

    if relation.closed:
        return _closed_pool(index, members, truths, wrong)
    pool = set(contrast)
    if contrast_kinds:
        pool |= {k for kind in contrast_kinds for k in index.by_kind[kind]}
    return [c for c in pool if wrong(c)]


def _owners(
    index: _Index, relation: Relation, candidates: Iterable[str], *, forward: bool
) -> dict[str, set[str]]:
    """For forward questions: which subjects each candidate object belongs to."""
    if not forward:
        return {}
    return {
        c: index.subjects[(relation.key, c)]
        for c in candidates
        if (relation.key, c) in index.subjects
    }


# Wording ---------------------------------------------------------------


def _fill(template: str, *, subject: str = "", object_: str = "") -> str:
    text = template.replace("{subject}", subject).replace("{object}", object_)
    return capitalise(text)


def _attribution(index: _Index, facts: Sequence[Fact]) -> str:
    shorts: list[str] = []
    for fact in facts:
        for citation in fact.citations:
            short = index.factbase.sources[citation.source].short
            if short not in shorts:
                shorts.append(short)
    if not shorts:
        return ""
    if len(shorts) > 2:
        return "According to the sources cited"
    return "According to " + " and ".join(shorts)


def _attributed(index: _Index, relation: Relation, facts: Sequence[Fact], prompt: str) -> str:
    if not relation.attributed:
        return prompt
    prefix = _attribution(index, facts)
    if not prefix:
        return prompt
    template_start = relation.forward.split("{", 1)[0] + relation.reverse.split("{", 1)[0]
    first = prompt[:1].lower() if template_start.strip() else prompt[:1]
    return f"{prefix}, {first}{prompt[1:]}"


def _statement(index: _Index, relation: Relation, subject: str, object_: str) -> str:
    return _fill(relation.statement, subject=index.name(subject), object_=index.name(object_))


def _explanation(index: _Index, facts: Sequence[Fact], disputes: Iterable[Fact] = ()) -> str:
    parts: list[str] = []
    for fact in facts:
        text = fact.explanation or _statement(
            index, index.factbase.relations[fact.relation], fact.subject, fact.object
        )
        if fact.qualifier:
            text = f"{text} ({fact.qualifier})"
        if text not in parts:
            parts.append(text)
    seen: set[str] = set()
    for fact in disputes:
        if fact.key in seen:
            continue
        seen.add(fact.key)
        relation = index.factbase.relations[fact.relation]
        who = _attribution(index, [fact]).removeprefix("According to ")
        verb = "state" if " and " in who else "states"
        parts.append(
            f"The sources differ: {who} {verb} that "
            f"{_statement(index, relation, fact.subject, fact.object)[:1].lower()}"
            f"{_statement(index, relation, fact.subject, fact.object)[1:-1]}; "
            f"this is disputed: {fact.disputed_reason}"
        )
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)


def _citations(facts: Iterable[Fact]) -> tuple[str, ...]:
    out: list[str] = []
    for fact in facts:
        for citation in fact.citations:
            if str(citation) not in out:
                out.append(str(citation))
    return tuple(out)


# The generator ---------------------------------------------------------


class _Bank:
    def __init__(self, index: _Index) -> None:
        self.index = index
        self.questions: dict[str, Question] = {}

    def add(
        self,
        *,
        kind: str,
        template: str,
        direction: str,
        anchor: str,
        prompt: str,
        choices: Sequence[str],
        answers: Sequence[str],
        facts: Sequence[Fact],
        topic: str,
        disputes: Iterable[Fact] = (),
        explanation: str | None = None,
        default_deck: bool = True,
        accepted: Sequence[str] = (),
        rejected: Sequence[str] = (),
    ) -> None:
        key = question_key(kind, template, direction, anchor)
        if key in self.questions:
            return
        self.questions[key] = Question(
            key=key,
            kind=kind,
            prompt=prompt,
            choices=tuple(choices),
            answers=tuple(answers),
            explanation=explanation
            if explanation is not None
            else _explanation(self.index, facts, disputes),
            facts=tuple(f.key for f in facts),
            citations=_citations(facts),
            levels=self.index.levels_of(facts),
            topic=topic,
            template=template,
            direction=direction,
            default_deck=default_deck,
            accepted=tuple(accepted),
            rejected=tuple(rejected),
        )


def generate_questions(factbase: FactBase) -> list[Question]:
    """Every question the fact base gives, sorted by key."""
    index = _Index.build(factbase)
    bank = _Bank(index)
    covered: set[tuple[str, str]] = set()
    for fact in index.published:
        relation = factbase.relations[fact.relation]
        asked = [
            d
            for d, forward in (("forward", True), ("reverse", False))
            if _single(bank, relation, fact, forward=forward)
        ]
        missing = tuple(d for d in ("forward", "reverse") if d not in asked)
        _statement_question(bank, relation, fact, directions=missing)
        for side in relation.typed:
            _typed(bank, relation, fact, side)
        group = (fact.subject, relation.key)
        if relation.many_objects and group not in covered:
            covered.add(group)
            _multi(bank, relation, fact, forward=True)
        group = (relation.key, fact.object)
        if relation.many_subjects and group not in covered:
            covered.add(group)
            _multi(bank, relation, fact, forward=False)
    for relation in factbase.relations.values():
        if relation.orderable:
            _ordering(bank, relation)
    _vignettes_root(bank)
    _vignettes_foramen(bank)
    _vignettes_condition(bank)
    for fact in factbase.facts:
        if fact.is_disputed:
            _inaccuracy(bank, fact)
    return [bank.questions[k] for k in sorted(bank.questions)]


def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))


def _wrong_answers(
    index: _Index, relation: Relation, fact: Fact, *, forward: bool, rng: random.Random
) -> list[str]:
    """Wrong answers for one fact's question, most confusable first."""
    if forward:
        answer, given = fact.object, fact.subject
        pool = wrong_pool(index, relation, given, forward=True)
        truths = index.objects[(given, relation.key)]
    else:
        answer, given = fact.subject, fact.object
        pool = wrong_pool(index, relation, given, forward=False)
        truths = index.subjects[(relation.key, given)]
    owners = _owners(index, relation, pool, forward=forward)
    ranked = _rank(index, pool, [answer], given, rng, owners)
    # Other true answers are left out of the choices; names must not repeat.
    return _distinct(index, ranked, {index.name(t).casefold() for t in truths})


def _disputes(index: _Index, relation: Relation, fact: Fact, *, forward: bool) -> list[Fact]:
    """Disputed statements that contradict this fact: another object for a subject that
    has only one (forward), or another subject for an object that has only one."""
    if forward and not relation.many_objects:
        return index.disputed_by_subject.get((fact.subject, relation.key), [])
    if not forward and not relation.many_subjects:
        return index.disputed_by_object.get((relation.key, fact.object), [])
    return []


def _single(bank: _Bank, relation: Relation, fact: Fact, *, forward: bool) -> bool:
    """A one-answer question about one fact; False when there are too few wrong answers."""
    index = bank.index
    direction = "forward" if forward else "reverse"
    rng = _rng("mcq", direction, fact.key)
    distractors = _wrong_answers(index, relation, fact, forward=forward, rng=rng)
    if len(distractors) < MIN_DISTRACTORS:
        return False
    if forward:
        answer = fact.object
        prompt = _fill(relation.forward, subject=index.name(fact.subject))
    else:
        answer = fact.subject
        prompt = _fill(relation.reverse, object_=index.name(fact.object))
    disputes = _disputes(index, relation, fact, forward=forward)
    choices = [answer, *distractors[:MCQ_DISTRACTORS]]
    rng.shuffle(choices)
    bank.add(
        kind="mcq",
        template=f"mcq-{direction}",
        direction=direction,
        anchor=fact.key,
        prompt=_attributed(index, relation, [fact], prompt),
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(answer))],
        facts=[fact],
        topic=relation.topic,
        disputes=disputes,
    )
    return True


def _statement_question(
    bank: _Bank, relation: Relation, fact: Fact, *, directions: tuple[str, ...] = ()
) -> None:
    """A true/false question on the fact as a sentence.

    With both directions asked as multiple choice, it is true or false at random
    (false with a wrong object). Otherwise it stands in for the directions that
    could not be asked, false where a wrong answer exists on such a side.
    """
    index = bank.index
    rng = _rng("tf", fact.key)
    subject, object_ = fact.subject, fact.object
    truth = True
    if not directions:
        direction, sides = "statement", ("forward",) if rng.random() < 0.5 else ()
    else:
        direction = directions[0] if len(directions) == 1 else "both"
        sides = directions
    for side in sides:
        wrong = _wrong_answers(index, relation, fact, forward=side == "forward", rng=rng)
        if wrong:
            if side == "forward":
                object_ = wrong[0]
            else:
                subject = wrong[0]
            truth = False
            break
    statement = _attributed(index, relation, [fact], _statement(index, relation, subject, object_))
    disputes = [
        *_disputes(index, relation, fact, forward=True),
        *_disputes(index, relation, fact, forward=False),
    ]
    explanation = _explanation(index, [fact], disputes)
    if not truth:
        # Say what is true before why.
        explanation = (
            f"False. {_statement(index, relation, fact.subject, fact.object)} {explanation}"
        )
    bank.add(
        kind="truefalse",
        template=f"tf-{direction}",
        direction=direction,
        anchor=fact.key,
        prompt=f"True or false? {statement}",
        choices=[TRUE, FALSE],
        answers=[TRUE if truth else FALSE],
        facts=[fact],
        topic=relation.topic,
        explanation=explanation,
    )


def _group(
    index: _Index, relation: Relation, fact: Fact, *, forward: bool
) -> tuple[str, str, set[str], list[Fact], str, str]:
    """Every true answer about the fact's subject (forward) or object (reverse):
    direction, the entity asked about, the true answers, their facts, prompt, anchor."""
    if forward:
        given = fact.subject
        return (
            "forward",
            given,
            index.objects[(given, relation.key)],
            [f for f in index.by_relation[relation.key] if f.subject == given],
            _fill(relation.forward, subject=index.name(given)),
            f"{given} {relation.key} *",
        )
    given = fact.object
    return (
        "reverse",
        given,
        index.subjects[(relation.key, given)],
        [f for f in index.by_relation[relation.key] if f.object == given],
        _fill(relation.reverse, object_=index.name(given)),
        f"* {relation.key} {given}",
    )


def _multi(bank: _Bank, relation: Relation, fact: Fact, *, forward: bool) -> None:
    """Select all that apply, over every true answer of one subject (or object)."""
    index = bank.index
    direction, given, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=forward
    )
    pool = wrong_pool(index, relation, given, forward=forward)
    if len(truths) < 2:
        return
    rng = _rng("multi", direction, anchor)
    shown = sorted(truths)
    if len(shown) > MULTI_MAX_SHOWN_ANSWERS:
        shown = sorted(rng.sample(shown, MULTI_MAX_SHOWN_ANSWERS - 1))
    taken: set[str] = set()
    shown = _distinct(index, shown, taken)
    # Truths not shown must not sneak in under another entity's identical name.
    taken |= {index.name(t).casefold() for t in truths}
    ranked = _distinct(
        index,
        _rank(index, pool, shown, given, rng, _owners(index, relation, pool, forward=forward)),
        taken,
    )
    distractors = ranked[: max(MIN_DISTRACTORS, MULTI_MAX_CHOICES - len(shown))]
    if len(distractors) < MIN_DISTRACTORS:
        return
    choices = [*shown, *distractors]
    rng.shuffle(choices)
    used = [f for f in group_facts if (f.object if forward else f.subject) in shown]
    disputes = (
        index.disputed_by_subject.get((given, relation.key), [])
        if forward
        else index.disputed_by_object.get((relation.key, given), [])
    )
    bank.add(
        kind="multi",
        template=f"multi-{direction}",
        direction=direction,
        anchor=anchor,
        prompt=_attributed(index, relation, used, prompt),
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(c)) for c in choices if c in shown],
        facts=used,
        topic=relation.topic,
        disputes=disputes,
    )


def _typed(bank: _Bank, relation: Relation, fact: Fact, side: str) -> None:
    """Type the answer: accepted are the names and aliases of every true answer."""
    index = bank.index
    direction, _, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=side == "object"
    )
    accepted: list[str] = []
    for key in sorted(truths):
        entity = index.entity(key)
        for name in (entity.name, *entity.aliases):
            if name not in accepted:
                accepted.append(name)
    kinds = sorted({index.entity(t).kind for t in truths})
    taken = {a.casefold() for a in accepted}
    rejected = [
        name
        for kind in kinds
        for key in index.by_kind[kind]
        if key not in truths
        for name in (index.entity(key).name, *index.entity(key).aliases)
        if name.casefold() not in taken
    ]
    if len(truths) > 1:
        prompt = f"{prompt} (Name any one.)"
    bank.add(
        kind="typed",
        template=f"typed-{direction}",
        direction=direction,
        anchor=anchor,
        prompt=_attributed(index, relation, group_facts, prompt),
        choices=[],
        answers=[capitalise(index.name(t)) for t in sorted(truths)],
        facts=group_facts,
        topic=relation.topic,
        accepted=accepted,
        rejected=rejected,
    )


def _ordering(bank: _Bank, relation: Relation) -> None:
    """Put the objects of consecutive subjects in cranial-to-caudal order."""
    index = bank.index
    facts = [
        f
        for f in index.by_relation[relation.key]
        if index.order(f.subject) is not None and not index.is_text(f.object)
    ]
    facts.sort(key=lambda f: (index.order(f.subject), f.key))
    # One fact per subject level, and objects named once.
    chain: list[Fact] = []
    seen_orders: set[int | None] = set()
    seen_names: set[str] = set()
    for fact in facts:
        order, name = index.order(fact.subject), index.name(fact.object).casefold()
        if order in seen_orders or name in seen_names:
            continue
        seen_orders.add(order)
        seen_names.add(name)
        chain.append(fact)
    for start in range(0, len(chain) - ORDER_WINDOW + 1):
        window = chain[start : start + ORDER_WINDOW]
        anchor = ",".join(f.key for f in window)
        rng = _rng("order", anchor)
        answers = [capitalise(index.name(f.object)) for f in window]
        choices = list(answers)
        while choices == answers:
            rng.shuffle(choices)
        bank.add(
            kind="order",
            template="order-window",
            direction="order",
            anchor=anchor,
            prompt=relation.order_prompt,
            choices=choices,
            answers=answers,
            facts=window,
            topic=relation.topic,
        )


def _common_topic(bank: _Bank, facts: Sequence[Fact]) -> str:
    topics = bank.index.factbase.topics

    def ancestry(key: str) -> list[str]:
        chain = [key]
        while topics[chain[-1]].parent:
            chain.append(topics[chain[-1]].parent)
        return chain

    chains = [ancestry(bank.index.factbase.relations[f.relation].topic) for f in facts]
    for candidate in chains[0]:
        if all(candidate in chain for chain in chains):
            return candidate
    return chains[0][-1]


# Clinical vignettes ------------------------------------------------------

# Findings that localise a nerve root: (relation, the root is its subject?, wording)
ROOT_FINDINGS = (
    ("key-sensory-point", True, "reduced sensation at the {}"),
    ("key-muscle", True, "weakness of {}"),
    ("motor-supply", True, "weakness of {}"),
    ("reflex-tests", False, "a reduced {}"),
)


def _root_finding_holds(index: _Index, root: str, finding: tuple[str, str]) -> bool | None:
    """True if a fact says so, None if arguable or unpublished, False if not linked."""
    relation_key, other = finding
    relation = index.factbase.relations[relation_key]
    subject, object_ = (root, other) if relation_key != "reflex-tests" else (other, root)
    if object_ in index.objects.get((subject, relation_key), set()):
        return True
    if index.is_blocked(relation, subject, object_):
        return None
    return False


def _add_vignette(
    bank: _Bank,
    *,
    template: str,
    facts: Sequence[Fact],
    prompt: str,
    choices: Sequence[str],
    answer: str,
    topic: str | None = None,
    explanation: str | None = None,
) -> None:
    """A clinical vignette: one answer among entities, about several facts at once."""
    index = bank.index
    bank.add(
        kind="vignette",
        template=template,
        direction="vignette",
        anchor=",".join(f.key for f in facts),
        prompt=prompt,
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(answer))],
        facts=facts,
        topic=topic or _common_topic(bank, facts),
        explanation=explanation,
    )


def _vignettes_root(bank: _Bank) -> None:
    """Sensory, motor and reflex findings -> which nerve root."""
    index = bank.index
    relations = index.factbase.relations
    if not all(r in relations for r, _, _ in ROOT_FINDINGS):
        return
    roots = index.by_kind["nerve-root"]
    for root in roots:
        options: list[list[tuple[Fact, str]]] = []
        for relation_key, root_is_subject, wording in ROOT_FINDINGS:
            found = []
            for fact in index.by_relation[relation_key]:
                if root_is_subject and fact.subject == root:
                    found.append((fact, wording.format(index.name(fact.object))))
                elif not root_is_subject and fact.object == root:
                    found.append((fact, wording.format(index.name(fact.subject))))
            options.append(found)
        sensory, key_motor, motor, reflex = options
        motor_choice = key_motor or motor
        if not sensory or not motor_choice:
            continue
        rng = _rng("vignette-root", root)
        findings = [rng.choice(sensory), rng.choice(motor_choice)]
        if reflex:
            findings.append(rng.choice(reflex))
        keys = [
            (f.relation, f.object if f.relation != "reflex-tests" else f.subject)
            for f, _ in findings
        ]
        matches = [r for r in roots if all(_root_finding_holds(index, r, k) for k in keys)]
        if matches != [root]:
            continue
        wrong = [r for r in roots if any(_root_finding_holds(index, r, k) is False for k in keys)]
        distractors = _rank(index, wrong, [root], root, rng)[:MCQ_DISTRACTORS]
        if len(distractors) < MIN_DISTRACTORS:
            continue
        facts = [f for f, _ in findings]
        texts = [t for _, t in findings]
        described = ", ".join(texts[:-1]) + " and " + texts[-1]
        prompt = f"A patient has {described}. Which nerve root is most likely affected?"
        choices = [root, *distractors]
        rng.shuffle(choices)
        _add_vignette(
            bank,
            template="vignette-root-findings",
            facts=facts,
            prompt=prompt,
            choices=choices,
            answer=root,
        )


def _vignettes_foramen(bank: _Bank) -> None:
    """Stenosis of a foramen -> the root leaving through it -> its deficit."""
    index = bank.index
    relations = index.factbase.relations
    if "exits-through" not in relations:
        return
    deficits = (
        ("key-muscle", "Which key muscle function is most likely to be weak?"),
        ("key-sensory-point", "Where would you test for reduced sensation?"),
    )
    for exit_fact in list(index.by_relation["exits-through"]):
        root, foramen = exit_fact.subject, exit_fact.object
        if len(index.subjects[("exits-through", foramen)]) != 1:
            continue
        # Whatever else the root supplies would be affected too: never offer it.
        linked = {o for (s_, _r, o) in index.blocked if s_ == root}
        for relation_key, question in deficits:
            if relation_key not in relations:
                continue
            relation = relations[relation_key]
            for deficit in [f for f in index.by_relation[relation_key] if f.subject == root]:
                rng = _rng("vignette-foramen", deficit.key)
                pool = [
                    c for c in wrong_pool(index, relation, root, forward=True) if c not in linked
                ]
                taken = {index.name(o).casefold() for o in index.objects[(root, relation_key)]}
                distractors = _distinct(
                    index, _rank(index, pool, [deficit.object], root, rng), taken
                )[:MCQ_DISTRACTORS]
                if len(distractors) < MIN_DISTRACTORS:
                    continue
                choices = [deficit.object, *distractors]
                rng.shuffle(choices)
                prompt = (
                    f"Severe stenosis of the {index.name(foramen)} compresses the nerve "
                    f"root that leaves through it. {question}"
                )
                facts = [exit_fact, deficit]
                _add_vignette(
                    bank,
                    template="vignette-foramen-deficit",
                    facts=facts,
                    prompt=prompt,
                    choices=choices,
                    answer=deficit.object,
                )


def _vignettes_condition(bank: _Bank) -> None:
    """Symptoms of a condition -> a question about its causes, treatments or advice."""
    index = bank.index
    relations = index.factbase.relations
    if "presents-with" not in relations:
        return
    conditions = sorted({f.subject for f in index.by_relation["presents-with"]})
    for condition in conditions:
        symptoms = sorted(
            (f for f in index.by_relation["presents-with"] if f.subject == condition),
            key=lambda f: f.key,
        )
        if len(symptoms) < 3:
            continue
        for relation in sorted(relations.values(), key=lambda r: r.key):
            if relation.key == "presents-with":
                continue
            asks_forward = bool(relation.contrast or relation.contrast_kinds)
            asks_reverse = bool(relation.contrast_reverse or relation.contrast_reverse_kinds)
            if asks_forward:
                facts = [f for f in index.by_relation[relation.key] if f.subject == condition]
            elif asks_reverse:
                facts = [f for f in index.by_relation[relation.key] if f.object == condition]
            else:
                continue
            if not facts:
                continue
            rng = _rng("vignette-condition", condition, relation.key)
            stem = rng.sample(symptoms, 3)
            target = rng.choice(facts)
            if asks_forward:
                answer = target.object
                truths = index.objects[(condition, relation.key)]
                pool = wrong_pool(index, relation, condition, forward=True)
                question = _fill(relation.forward, subject=index.name(condition))
            else:
                answer = target.subject
                truths = index.subjects[(relation.key, condition)]
                pool = wrong_pool(index, relation, condition, forward=False)
                question = _fill(relation.reverse, object_=index.name(condition))
            in_stem = {s.object for s in stem}
            taken = {index.name(t).casefold() for t in truths}
            distractors = _distinct(
                index,
                _rank(index, [p for p in pool if p not in in_stem], [answer], condition, rng),
                taken,
            )
            distractors = distractors[:MCQ_DISTRACTORS]
            if len(distractors) < MIN_DISTRACTORS:
                continue
            named = [index.name(s.object) for s in stem]
            prompt = (
                f"A patient has {named[0]}, {named[1]} and {named[2]}. Imaging confirms "
                f"{index.name(condition)}. {question}"
            )
            choices = [answer, *distractors]
            rng.shuffle(choices)
            facts = [*stem, target]
            _add_vignette(
                bank,
                template="vignette-condition",
                facts=facts,
                prompt=prompt,
                choices=choices,
                answer=answer,
                topic=relations[target.relation].topic,
                explanation=_explanation(index, [target, *stem]),
            )


def _inaccuracy(bank: _Bank, fact: Fact) -> None:
    """Spot the inaccuracy: a disputed statement, whose answer is False."""
    index = bank.index
    relation = index.factbase.relations[fact.relation]
    who = _attribution(index, [fact]).removeprefix("According to ")
    statement = _statement(index, relation, fact.subject, fact.object)
    # The standard answer, where the relation allows only one: the subject's one
    # object, or the object's one subject.
    standard = [
        f
        for f in index.by_relation[fact.relation]
        if (
            (f.subject == fact.subject and not relation.many_objects)
            or (f.object == fact.object and not relation.many_subjects)
        )
    ]
    explanation = f"Not accurate: {fact.disputed_reason.rstrip('.')}."
    if standard:
        explanation += " " + _explanation(index, standard[:2])
    elif fact.explanation:
        explanation += " " + fact.explanation
    bank.add(
        kind="truefalse",
        template="tf-inaccuracy",
        direction="statement",
        anchor=fact.key,
        prompt=f"{capitalise(who)} {'state' if ' and ' in who else 'states'}: "
        f"\u201c{statement}\u201d Is this accurate?",
        choices=[TRUE, FALSE],
        answers=[FALSE],
        facts=[fact, *standard[:2]],
        topic=relation.topic,
        explanation=explanation,
        default_deck=False,
    )


# Looking at the bank ----------------------------------------------------


def describe(question: Question) -> str:
    lines = [
        f"[{question.kind}] {question.key}  ({question.template}, topic {question.topic}, "
        f"levels {', '.join(question.levels) or '-'})",
        f"  {question.prompt}",
    ]
    for choice in question.choices:
        mark = "*" if choice in question.answers else " "
        lines.append(f"   {mark} {choice}")
    if question.kind == "order":
        lines.append(f"   order: {' < '.join(question.answers)}")
    if question.kind == "typed":
        lines.append(f"   accepted: {', '.join(question.accepted)}")
    lines.append(f"  why: {question.explanation}")
    lines.append(f"  sources: {'; '.join(question.citations)}")
    if not question.default_deck:
        lines.append("  (not in the default decks)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m learning.generation preview [--subject KEY] [--kind KIND] [--dir DIR]`."""
    from learning.factbase import FactBaseError, read_factbase

    if not argv or argv[0] not in ("preview", "stats"):
        print(
            "usage: python -m learning.generation preview|stats [--subject KEY] "
            "[--kind KIND] [--relation KEY] [--dir FACTBASE_DIR]"
        )
        return 2
    options = dict(itertools.zip_longest(argv[1::2], argv[2::2]))
    try:
        factbase = read_factbase(options.get("--dir") or "fixtures/factbase")
    except FactBaseError as exc:
        print(exc)
        return 1
    questions = generate_questions(factbase)
    if argv[0] == "stats":
        counts: dict[str, int] = defaultdict(int)
        for question in questions:
            counts[question.kind] += 1
        for kind in KINDS:
            print(f"{kind:10} {counts[kind]}")
        print(f"{'total':10} {len(questions)}")
        return 0
    subject, kind = options.get("--subject"), options.get("--kind")
    relation = options.get("--relation")
    for question in questions:
        keys = [k.split(" ") for k in question.facts]
        if subject and not any(subject in (s, o) for s, _, o in keys):
            continue
        if relation and not any(relation == r for _, r, _ in keys):
            continue
        if kind and question.kind != kind:
            continue
        print(describe(question))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
