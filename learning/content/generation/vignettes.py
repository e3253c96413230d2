"""Clinical vignettes: a root's findings, a foramen's deficits, a condition's presentation,
each drawn only from facts the fact base holds."""

from __future__ import annotations

from collections.abc import Sequence

from learning.content.factbase import FactValue
from learning.content.generation.builders import _common_topic, _explained, _wrong_shown
from learning.content.generation.index import (
    _Bank,
    _distinct,
    _explanation,
    _fill,
    _Index,
    _rank,
    wrong_pool,
)
from learning.content.generation.values import (
    EXITS,
    MCQ_DISTRACTORS,
    PRESENTS,
    ROOT,
    _rng,
    capitalise,
)

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
    if object_ in index.objects_of(subject, relation_key):
        return True
    if index.is_blocked(relation, subject, object_):
        return None
    return False


def _add_vignette(
    bank: _Bank,
    *,
    template: str,
    facts: Sequence[FactValue],
    prompt: str,
    choices: Sequence[str],
    answer: str,
    topic: str | None = None,
    explanation: str | None = None,
    wrong: Sequence[tuple[str, FactValue]] = (),
    named: Sequence[str] = (),
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
        wrong=_wrong_shown(index, wrong),
        named=named,
        offered=choices,
    )


def _vignette_root(bank: _Bank, root: str) -> None:
    """Sensory, motor and reflex findings -> which nerve root."""
    index = bank.index
    roots = sorted(index.kind_members(ROOT))
    if root not in roots:
        return
    options: list[list[tuple[FactValue, str]]] = []
    for relation_key, root_is_subject, wording in ROOT_FINDINGS:
        if root_is_subject:
            found = [
                (f, wording.format(index.name(f.object)))
                for f in index.facts_with_subject(root, relation_key)
            ]
        else:
            found = [
                (f, wording.format(index.name(f.subject)))
                for f in index.facts_with_object(relation_key, root)
            ]
        options.append(found)
    sensory, key_motor, motor, reflex = options
    motor_choice = key_motor or motor
    if not sensory or not motor_choice:
        return
    rng = _rng("vignette-root", root)
    findings = [rng.choice(sensory), rng.choice(motor_choice)]
    if reflex:
        findings.append(rng.choice(reflex))
    keys = [
        (f.relation, f.object if f.relation != "reflex-tests" else f.subject) for f, _ in findings
    ]
    matches = [r for r in roots if all(_root_finding_holds(index, r, k) for k in keys)]
    if matches != [root]:
        return
    wrong = [r for r in roots if any(_root_finding_holds(index, r, k) is False for k in keys)]
    explained: list[tuple[str, FactValue]] = []
    for other in _rank(index, wrong, [root], rng):
        reason = _root_reason(index, other, keys)
        if reason is not None:
            explained.append((other, reason))
        if len(explained) == MCQ_DISTRACTORS:
            break
    if len(explained) < MCQ_DISTRACTORS:
        return
    distractors = [other for other, _ in explained]
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
        wrong=explained,
    )


def _root_reason(index: _Index, root: str, keys: Sequence[tuple[str, str]]) -> FactValue | None:
    """What a wrong root really gives: its own fact of the first finding it does not fit
    (the L3 key sensory point lies at the medial femoral condyle)."""
    for relation_key, other in keys:
        if _root_finding_holds(index, root, (relation_key, other)) is not False:
            continue
        own = (
            index.facts_with_object(relation_key, root)
            if relation_key == "reflex-tests"
            else index.facts_with_subject(root, relation_key)
        )
        if own:
            return own[0]
    return None


FORAMEN_DEFICITS = (
    ("key-muscle", "Which key muscle function is most likely to be weak?"),
    ("key-sensory-point", "Where would you test for reduced sensation?"),
)


def _vignette_foramen(bank: _Bank, exit_fact: FactValue) -> None:
    """Stenosis of a foramen -> the root leaving through it -> its deficit."""
    index = bank.index
    relations = index.factbase.relations
    root, foramen = exit_fact.subject, exit_fact.object
    if len(index.subjects_of(EXITS, foramen)) != 1:
        return
    # Whatever else the root supplies would be affected too: never offer it.
    linked = index.linked_to(root)
    for relation_key, question in FORAMEN_DEFICITS:
        if relation_key not in relations:
            continue
        relation = relations[relation_key]
        for deficit in index.facts_with_subject(root, relation_key):
            if not index.has_one_answer(relation, root, deficit.object, forward=True):
                continue
            rng = _rng("vignette-foramen", deficit.key)
            pool, siblings = wrong_pool(
                index, relation, root, forward=True, pivots=[deficit.object]
            )
            pool = [c for c in pool if c not in linked]
            candidates = _distinct(
                index,
                _rank(index, pool, [deficit.object], rng, siblings),
                set(),
                index.truth_names(root, relation_key, forward=True),
            )
            wrong = _explained(
                index,
                relation,
                root,
                candidates,
                forward=True,
                count=MCQ_DISTRACTORS,
                key=deficit.object,
            )
            if len(wrong) < MCQ_DISTRACTORS:
                continue
            choices = [deficit.object, *(option for option, _ in wrong)]
            rng.shuffle(choices)
            prompt = (
                f"Severe stenosis of the {index.name(foramen)} compresses the nerve "
                f"root that leaves through it. {question}"
            )
            _add_vignette(
                bank,
                template="vignette-foramen-deficit",
                facts=[exit_fact, deficit],
                prompt=prompt,
                choices=choices,
                answer=deficit.object,
                wrong=wrong,
                named=[index.name(foramen)],
            )


def _vignette_condition(bank: _Bank, condition: str) -> None:
    """Symptoms of a condition -> a question about its causes, treatments or advice."""
    index = bank.index
    relations = index.factbase.relations
    symptoms = index.facts_with_subject(condition, PRESENTS)
    if len(symptoms) < 3:
        return
    for relation in sorted(relations.values(), key=lambda r: r.key):
        if relation.key == PRESENTS:
            continue
        asks_forward = bool(relation.contrast or relation.contrast_kinds)
        asks_reverse = bool(relation.contrast_reverse or relation.contrast_reverse_kinds)
        if asks_forward:
            facts = index.facts_with_subject(condition, relation.key)
        elif asks_reverse:
            facts = index.facts_with_object(relation.key, condition)
        else:
            continue
        if not facts:
            continue
        rng = _rng("vignette-condition", condition, relation.key)
        stem = rng.sample(symptoms, 3)
        target = rng.choice(facts)
        if asks_forward:
            answer = target.object
            question = _fill(relation.forward, subject=index.name(condition))
        else:
            answer = target.subject
            question = _fill(relation.reverse, object_=index.name(condition))
        if not index.has_one_answer(relation, condition, answer, forward=asks_forward):
            continue
        pool, siblings = wrong_pool(
            index, relation, condition, forward=asks_forward, pivots=[answer]
        )
        in_stem = {s.object for s in stem}
        candidates = _distinct(
            index,
            _rank(index, [p for p in pool if p not in in_stem], [answer], rng, siblings),
            set(),
            index.truth_names(condition, relation.key, forward=asks_forward),
        )
        wrong = _explained(
            index,
            relation,
            condition,
            candidates,
            forward=asks_forward,
            count=MCQ_DISTRACTORS,
            key=answer,
        )
        if len(wrong) < MCQ_DISTRACTORS:
            continue
        distractors = [option for option, _ in wrong]
        named = [index.name(s.object) for s in stem]
        prompt = (
            f"A patient has {named[0]}, {named[1]} and {named[2]}. Imaging confirms "
            f"{index.name(condition)}. {question}"
        )
        choices = [answer, *distractors]
        rng.shuffle(choices)
        _add_vignette(
            bank,
            template="vignette-condition",
            facts=[*stem, target],
            prompt=prompt,
            choices=choices,
            answer=answer,
            topic=relations[target.relation].topic,
            explanation=_explanation(index, [target, *stem]),
            wrong=wrong,
            named=[index.name(condition), *named],
        )
