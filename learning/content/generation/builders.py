"""The question builders, one a kind: single answer, multiple answers, spans of levels,
typed answers, orderings, sequences and inaccuracies."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from learning.content import itemrules
from learning.content.factbase import FactValue, Relation
from learning.content.generation.index import (
    _attributed,
    _attribution,
    _Bank,
    _distinct,
    _explanation,
    _fill,
    _Index,
    _rank,
    _statement,
    wrong_pool,
)
from learning.content.generation.values import (
    FALSE,
    MCQ_DISTRACTORS,
    MIN_DISTRACTORS,
    MULTI_MAX_CHOICES,
    MULTI_MAX_SHOWN_ANSWERS,
    ORDER_WINDOW,
    TRUE,
    _rng,
    capitalise,
)


def _wrong_answers(
    index: _Index, relation: Relation, fact: FactValue, *, forward: bool, rng: random.Random
) -> list[str]:
    """Wrong answers for one fact's question, most confusable first."""
    answer, given = (fact.object, fact.subject) if forward else (fact.subject, fact.object)
    pool, siblings = wrong_pool(index, relation, given, forward=forward, pivots=[answer])
    ranked = _rank(index, pool, [answer], rng, siblings)
    # Other true answers are left out of the choices; names must not repeat.
    truths = index.truth_names(given, relation.key, forward=forward)
    return _distinct(index, ranked, set(), truths)


def _disputes(
    index: _Index, relation: Relation, fact: FactValue, *, forward: bool
) -> list[FactValue]:
    """Disputed statements that contradict this fact: another object for a subject that
    has only one (forward), or another subject for an object that has only one."""
    if forward and not relation.many_objects:
        return index.disputed_about((fact.subject, relation.key), forward=True)
    if not forward and not relation.many_subjects:
        return index.disputed_about((relation.key, fact.object), forward=False)
    return []


def _explained(
    index: _Index,
    relation: Relation,
    given: str,
    candidates: Iterable[str],
    *,
    forward: bool,
    count: int,
    key: str | None = None,
) -> list[tuple[str, FactValue]]:
    """Up to `count` wrong options, in the candidates' order, each with the fact that says
    what it really is. With `key` (a single answer), only options of the key's own
    category, and none with an absolute word ("never") that the key lacks."""
    out: list[tuple[str, FactValue]] = []
    key_absolute = key is not None and itemrules.ABSOLUTE_RE.search(index.name(key))
    for candidate in candidates:
        if len(out) == count:
            break
        if key is not None:
            if not index.same_category(relation, key, candidate, forward=forward):
                continue
            if not key_absolute and itemrules.ABSOLUTE_RE.search(index.name(candidate)):
                continue
        fact = index.why_wrong(relation, given, candidate, forward=forward)
        if fact is not None:
            out.append((candidate, fact))
    return out


def _wrong_shown(
    index: _Index, wrong: Iterable[tuple[str, FactValue]]
) -> list[tuple[str, FactValue]]:
    return [(capitalise(index.name(option)), fact) for option, fact in wrong]


def _single(bank: _Bank, relation: Relation, fact: FactValue, *, forward: bool) -> bool:
    """A one-best-answer question about one fact: asked only where the stem alone decides
    the key, with three wrong options of the key's own category, each explained. False
    when it cannot be asked so."""
    index = bank.index
    direction = "forward" if forward else "reverse"
    answer, given = (fact.object, fact.subject) if forward else (fact.subject, fact.object)
    if not index.has_one_answer(relation, given, answer, forward=forward):
        return False
    rng = _rng("mcq", direction, fact.key)
    candidates = _wrong_answers(index, relation, fact, forward=forward, rng=rng)
    wrong = _explained(
        index, relation, given, candidates, forward=forward, count=MCQ_DISTRACTORS, key=answer
    )
    if len(wrong) < MCQ_DISTRACTORS:
        return False
    if forward:
        prompt = _fill(relation.forward, subject=index.name(fact.subject))
    else:
        prompt = _fill(relation.reverse, object_=index.name(fact.object))
    disputes = _disputes(index, relation, fact, forward=forward)
    choices = [answer, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    return bank.add(
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
        wrong=_wrong_shown(index, wrong),
        named=[index.name(given)],
        offered=choices,
    )


def _statement_question(
    bank: _Bank, relation: Relation, fact: FactValue, *, directions: tuple[str, ...] = ()
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
        mentions=[subject, object_],
    )


def _group(
    index: _Index, relation: Relation, fact: FactValue, *, forward: bool, every: bool = False
) -> tuple[str, str, set[str], list[FactValue], str, str]:
    """Every true answer about the fact's subject (forward) or object (reverse):
    direction, the entity asked about, the true answers, their facts, prompt, anchor.
    `every`: the prompt asks for all of them (select all that apply)."""
    if forward:
        given = fact.subject
        wording = (relation.forward_all if every else "") or relation.forward
        return (
            "forward",
            given,
            index.objects_of(given, relation.key),
            index.facts_with_subject(given, relation.key),
            _fill(wording, subject=index.name(given)),
            f"{given} {relation.key} *",
        )
    given = fact.object
    wording = (relation.reverse_all if every else "") or relation.reverse
    return (
        "reverse",
        given,
        index.subjects_of(relation.key, given),
        index.facts_with_object(relation.key, given),
        _fill(wording, object_=index.name(given)),
        f"* {relation.key} {given}",
    )


def _multi(bank: _Bank, relation: Relation, fact: FactValue, *, forward: bool) -> None:
    """Select all that apply, over every true answer of one subject (or object)."""
    index = bank.index
    direction, given, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=forward, every=True
    )
    if len(truths) < 2:
        return
    rng = _rng("multi", direction, anchor)
    shown = sorted(truths)
    if len(shown) > MULTI_MAX_SHOWN_ANSWERS:
        shown = sorted(rng.sample(shown, MULTI_MAX_SHOWN_ANSWERS - 1))
    taken: set[str] = set()
    shown = _distinct(index, shown, taken)
    pool, siblings = wrong_pool(index, relation, given, forward=forward, pivots=shown)
    # Truths not shown must not sneak in under another entity's identical name.
    ranked = _distinct(
        index,
        _rank(index, pool, shown, rng, siblings),
        taken,
        index.truth_names(given, relation.key, forward=forward),
    )
    wrong = _explained(
        index,
        relation,
        given,
        ranked,
        forward=forward,
        count=max(MIN_DISTRACTORS, MULTI_MAX_CHOICES - len(shown)),
    )
    if len(wrong) < MIN_DISTRACTORS:
        return
    choices = [*shown, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    used = [f for f in group_facts if (f.object if forward else f.subject) in shown]
    disputes = index.disputed_about(
        (given, relation.key) if forward else (relation.key, given), forward=forward
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
        wrong=_wrong_shown(index, wrong),
        named=[index.name(given)],
        offered=choices,
    )


# Ranges are ranges: where a subject's true objects are a run of consecutive levels (the
# cauda equina from L2-L3 down to L5-S1), it is one question about the span, not one
# per level.
SPAN_MIN = 3
SPAN_SHIFTS = (-2, 2, -3, 3, -4, 4, -5, 5)


def _level_entities(index: _Index, relation: Relation) -> list[str]:
    """One entity per spinal level among the relation's object kinds, cranial first."""
    at: dict[int, str] = {}
    for kind in relation.object_kinds:
        for key in index.kind_members(kind):
            levels = index.entity(key).levels
            if len(levels) == 1 and levels[0] in index.factbase.levels:
                order = index.factbase.levels[levels[0]].order
                at[order] = min(at.get(order, key), key)
    return [at[order] for order in sorted(at)]


def _span(index: _Index, relation: Relation, subject: str) -> tuple[list[str], int] | None:
    """The run of levels a subject's true objects fill, as (levels cranial first, the
    run's first position), or None when they are not a run of at least three."""
    # Only a closed relation's list is the whole span; an open one's are examples.
    if not relation.many_objects or not relation.closed:
        return None
    truths = index.objects_of(subject, relation.key)
    if len(truths) < SPAN_MIN:
        return None
    run = _level_entities(index, relation)
    positions = sorted(run.index(t) for t in truths if t in run)
    if len(positions) != len(truths) or positions[-1] - positions[0] + 1 != len(positions):
        return None
    return run, positions[0]


def _span_question(bank: _Bank, relation: Relation, subject: str) -> bool:
    """Where does it lie? One best answer among spans of the same length: the true span,
    and spans shifted cranially or caudally, each wrong because it leaves out a level the
    facts give."""
    index = bank.index
    found = _span(index, relation, subject)
    if found is None:
        return False
    run, start = found
    length = len(index.objects_of(subject, relation.key))
    facts = index.facts_with_subject(subject, relation.key)
    by_object = {f.object: f for f in facts}

    def named(first: int) -> str:
        low, high = index.name(run[first]), index.name(run[first + length - 1])
        return f"From the {low} to the {high}"

    wrong: list[tuple[str, FactValue]] = []
    truth = set(range(start, start + length))
    for shift in SPAN_SHIFTS:
        first = start + shift
        if first < 0 or first + length > len(run):
            continue
        left_out = sorted(truth - set(range(first, first + length)))
        wrong.append((named(first), by_object[run[left_out[0]]]))
        if len(wrong) == MCQ_DISTRACTORS:
            break
    if len(wrong) < MCQ_DISTRACTORS:
        return False
    rng = _rng("span", subject, relation.key)
    answer = named(start)
    choices = [answer, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    return bank.add(
        kind="mcq",
        template="span-forward",
        direction="forward",
        anchor=f"{subject} {relation.key} span",
        prompt=_attributed(
            index,
            relation,
            facts,
            _fill(relation.forward_all or relation.forward, subject=index.name(subject)),
        ),
        choices=choices,
        answers=[answer],
        facts=facts,
        topic=relation.topic,
        wrong=wrong,
        named=[index.name(subject)],
    )


def _typed(bank: _Bank, relation: Relation, fact: FactValue, side: str) -> None:
    """Type the answer: accepted are the names and aliases of every true answer."""
    index = bank.index
    forward = side == "object"
    direction, given, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=forward
    )
    # Typing one answer is fair only where the stem has exactly one.
    if len(truths) != 1 or not index.has_one_answer(relation, given, min(truths), forward=forward):
        return
    accepted: list[str] = []
    for key in sorted(truths):
        entity = index.entity(key)
        for name in (entity.name, *entity.aliases):
            if name not in accepted:
                accepted.append(name)
    # The confusable wrong names: those of the ring windows after each true answer.
    taken = {a.casefold() for a in accepted}
    nearby = dict.fromkeys(
        key
        for truth in sorted(truths)
        for key in index.kind_window(index.entity(truth).kind, truth)
        if key not in truths
    )
    rejected = [
        name
        for key in nearby
        for name in (index.entity(key).name, *index.entity(key).aliases)
        if name.casefold() not in taken
    ]
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
        for f in index.relation_facts(relation.key)
        if index.order(f.subject) is not None and not index.is_text(f.object)
    ]
    facts.sort(key=lambda f: (index.order(f.subject), f.key))
    # One fact per subject level, and objects named once.
    chain: list[FactValue] = []
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


def _sequence(bank: _Bank, relation: Relation, whole: str) -> None:
    """Put the steps of one whole (a clinical workflow) in order, first to last.

    The steps are the subjects of `relation` for `whole`; their order is the chain of
    `relation.ordered_by` facts between them. Only one unbroken line of published
    facts is asked: a branch, a gap or a loop asks nothing."""
    index = bank.index
    if relation.ordered_by is None:
        return
    steps = {f.subject: f for f in index.facts_with_object(relation.key, whole)}
    if len(steps) < 3:
        return
    following: dict[str, FactValue] = {}
    for step in sorted(steps):
        nexts = [
            f for f in index.facts_with_subject(step, relation.ordered_by) if f.object in steps
        ]
        if len(nexts) > 1:
            return
        if nexts:
            following[step] = nexts[0]
    starts = sorted(set(steps) - {f.object for f in following.values()})
    if len(starts) != 1:
        return
    chain = [starts[0]]
    while chain[-1] in following and len(chain) <= len(steps):
        chain.append(following[chain[-1]].object)
    if sorted(chain) != sorted(steps):
        return
    answers = [capitalise(index.name(s)) for s in chain]
    if len({a.casefold() for a in answers}) != len(answers):
        return
    rng = _rng("sequence", relation.key, whole)
    choices = list(answers)
    while choices == answers:
        rng.shuffle(choices)
    links = [following[s] for s in chain[:-1]]
    bank.add(
        kind="order",
        template="order-steps",
        direction="order",
        anchor=f"{relation.key} {whole}",
        prompt=_fill(relation.order_prompt, object_=index.name(whole)),
        choices=choices,
        answers=answers,
        facts=[*(steps[s] for s in chain), *links],
        topic=relation.topic,
        explanation=" → ".join(answers) + ". " + _explanation(index, links),
    )


def _common_topic(bank: _Bank, facts: Sequence[FactValue]) -> str:
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


def _inaccuracy(bank: _Bank, fact: FactValue) -> None:
    """Spot the inaccuracy: a disputed statement, whose answer is False."""
    index = bank.index
    relation = index.factbase.relations[fact.relation]
    who = _attribution(index, [fact]).removeprefix("According to ")
    statement = _statement(index, relation, fact.subject, fact.object)
    # The standard answer, where the relation allows only one: the subject's one
    # object, or the object's one subject.
    standard = sorted(
        {
            *(
                ()
                if relation.many_objects
                else index.facts_with_subject(fact.subject, fact.relation)
            ),
            *(
                ()
                if relation.many_subjects
                else index.facts_with_object(fact.relation, fact.object)
            ),
        },
        key=lambda f: f.key,
    )
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
