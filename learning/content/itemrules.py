"""Item-writing rules as code: a lint over a generated question bank.

`lint(questions, factbase)` takes generated questions (or anything with their
attributes) and the fact base, and returns every broken rule as a `Finding`:
the question, the rule, what is wrong and the facts behind it. No ORM, no
clock. The rules are those of the NBME item-writing guide (Case and Swanson)
that a machine can check:

- one best answer: from the stem alone, the fact base gives exactly one right
  answer to a single-answer question, and no two of them share a stem with
  different keys ("cover the options");
- a single-answer MCQ has four options, one key and three distractors of the
  key's own category (a drug among drugs, a drug dose among drug doses);
- the key does not repeat a distinctive word of the stem unless every option does;
- no plural stem over a single key;
- no "Which X has this: Y?" template;
- no bracketed leftovers (a stray "(patterns vary)." or an unfilled "{object}");
- no absolute words ("always", "never") in the distractors only;
- every wrong option says, from a published fact, why it is wrong.

The one-best-answer check reads the facts itself; it shares no code with the
generator beyond the fact base's values. The wording checks are plain
functions the generator also calls, so that it never emits what they refuse.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from learning.content.factbase import FactBase

SINGLE = ("mcq", "typed", "vignette")
WITH_OPTIONS = ("mcq", "multi", "vignette")
MCQ_OPTIONS = 4

RULES = {
    "one-best-answer": "One best answer: the stem alone decides the key",
    "same-stem": "No two single-answer questions share a stem with different keys",
    "four-options": "Single-answer MCQs have four options: one key, three distractors",
    "option-category": "Distractors are of the key's own category",
    "stem-cues-key": "The key repeats no distinctive word of the stem (unless every option does)",
    "plural-stem": "No plural stem over a single key",
    "this-template": "No 'Which X has this: Y?' template",
    "bracket": "No bracketed leftovers",
    "absolute-words": "No absolute words in the distractors only",
    "wrong-unexplained": "Every wrong option says why it is wrong, from a fact",
}


@dataclass(frozen=True)
class Finding:
    question: str
    rule: str
    message: str
    facts: tuple[str, ...] = ()

    @property
    def rule_name(self) -> str:
        return RULES[self.rule]


# Wording rules: text in, a problem (or None) out ------------------------


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _wordlist("""a an the of to in on at by for from with without into onto over under and or but not
    no nor as is are was were be been being it its this that these those which what who whom
    whose where when how why does do did has have had can could may might should would will
    shall must than then there their they them he she his her you your we our one two three
    some any each every other such same more most less least very often usually typically
    commonly patient patients people person after before during while about between""")
ABSOLUTE_RE = re.compile(
    r"\b(always|never|none|completely|entirely|guaranteed?|guarantees)\b", re.I
)
THIS_RE = re.compile(r"\b(this|these|this way|like this|described as|as follows)\s*:", re.I)
LEFTOVER_RE = re.compile(r"[{}\[\]]|\(\s*\)")
# A lower-case aside in brackets closing a sentence: "... thigh (patterns vary)."
STRAY_ASIDE_RE = re.compile(r"\(([a-z][^()]*)\)\s*[.!?]")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
LEVEL_RE = re.compile(r"^(?:[ctls][0-9]{1,2})(?:-(?:[ctls][0-9]{1,2}))?$", re.I)
# "Which nerve roots ...", "What movements ...": a question head in the plural. A word in
# -s after the first is a verb when an article or preposition follows ("Which structure
# forms the roof"), a noun otherwise ("Which nerve roots contribute").
QUESTION_HEAD_RE = re.compile(
    r"\b(?:which|what)\s+([a-z-]+)(?:\s+([a-z-]+))?(?:\s+([a-z-]+))?(?:\s+([a-z-]+))?", re.I
)
FOLLOWS_VERB = _wordlist("the a an to from in into on at of by with its their this that")
AUXILIARIES = _wordlist("do does did is are was were can could may might should would will")
VERBS_IN_S = _wordlist("""lies carries forms tests causes suggests helps measures involves works supplies
    contributes leaves runs exits points shows treats narrows assesses indicates means has
    does is applies describes belongs occurs affects compresses mimics relieves worsens makes
    needs decides includes passes sits separates joins remains follows reduces""")
NOT_PLURAL = _wordlist("""is does has was this its plus thus always perhaps class process stenosis diagnosis
    analysis status plexus sinus apparatus lumbus fibrosis osteoporosis spondylosis
    kyphosis scoliosis lordosis arthrosis sclerosis necrosis prognosis bias gas news
    series species less unless across various previous serious nervous conscious
    anterior posterior""")


def words(text: str) -> list[str]:
    return [w.casefold().strip("'-") for w in WORD_RE.findall(text)]


def is_plural_stem(prompt: str) -> bool:
    """Does the question ask for several things ("Which nerve roots ...")?"""
    for sentence in re.split(r"(?<=[.?!])\s+", prompt):
        match = QUESTION_HEAD_RE.search(sentence)
        if not match:
            continue
        head = [w.casefold() for w in match.groups() if w]
        if head[0] in AUXILIARIES:  # "What do teams check ...": number-neutral
            continue
        for position, word in enumerate(head[:3]):
            if word in ("of", "or", "and") or word in NOT_PLURAL and word.endswith("s"):
                break
            if not word.endswith("s") or word.endswith(("ss", "us", "is")):
                continue
            after = head[position + 1] if position + 1 < len(head) else ""
            if position > 0 and (after in FOLLOWS_VERB or word in VERBS_IN_S):
                break
            return True
    return False


def _shares_stem(word: str, others: Iterable[str]) -> bool:
    """A word and another share a stem: they are equal, or begin with the same five letters
    or more and differ only in the last three ("gabapentin", "gabapentinoid";
    "vertebral", "vertebrae")."""
    for other in others:
        if word == other:
            return True
        prefix = len(os.path.commonprefix([word, other]))
        if prefix >= 5 and prefix >= min(len(word), len(other)) - 3:
            return True
    return False


def key_cue(
    named: Iterable[str],
    choices: Sequence[str],
    answers: Sequence[str],
    generic: Collection[str] = frozenset(),
) -> str | None:
    """A distinctive word of the stem that the key repeats and not every option does.

    The distinctive words are those of the things the stem names (`named`: the subject
    filled into "What does {subject} assess?", a vignette's findings), not of the
    question's frame ("Which test ..."), nor the `generic` words of the kinds of things
    involved ("nerve" of "L1 nerve root" and of "ilioinguinal nerve"). Level labels (L2,
    L2-L3) are not distinctive when every option names a level: the learner must still
    know which level."""
    stem = {
        w
        for name in named
        for w in words(name)
        if w not in STOPWORDS and w not in generic and (len(w) >= 4 or LEVEL_RE.match(w))
    }
    option_words = [set(words(c)) for c in choices]
    every_option_levelled = all(any(LEVEL_RE.match(w) for w in ws) for ws in option_words)
    for answer in answers:
        for word in words(answer):
            if word in STOPWORDS or not (len(word) >= 4 or LEVEL_RE.match(word)):
                continue
            if LEVEL_RE.match(word) and every_option_levelled:
                continue
            if not _shares_stem(word, stem):
                continue
            if all(_shares_stem(word, ws) for ws in option_words):
                continue
            return word
    return None


def absolute_only_in_distractors(choices: Sequence[str], answers: Sequence[str]) -> str | None:
    """An absolute word ("always", "never") found in distractors but in no key."""
    if any(ABSOLUTE_RE.search(a) for a in answers):
        return None
    for choice in choices:
        if choice not in answers:
            match = ABSOLUTE_RE.search(choice)
            if match:
                return match.group(0)
    return None


def has_this_template(text: str) -> bool:
    return bool(THIS_RE.search(text))


def leftover(text: str, asides: Collection[str] = frozenset()) -> str | None:
    """A bracketed leftover: template braces, square brackets, empty brackets, or a
    lower-case aside closing a sentence that is not part of a name or an author's words
    (`asides`)."""
    match = LEFTOVER_RE.search(text)
    if match:
        return match.group(0)
    for match in STRAY_ASIDE_RE.finditer(text):
        if match.group(1) not in asides:
            return match.group(0)
    return None


def wording_findings(
    question: Any,
    *,
    named: Iterable[str] = (),
    generic: Collection[str] = frozenset(),
    asides: Collection[str] = frozenset(),
) -> list[tuple[str, str]]:
    """The wording rules one question breaks: (rule, message) pairs. `named`: the names
    of what the stem is about; `generic`: words of the kinds of things involved;
    `asides`: bracketed text that names and authors use."""
    out: list[tuple[str, str]] = []
    prompt, choices, answers = question.prompt, list(question.choices), list(question.answers)
    reasons = [w.reason for w in getattr(question, "wrong", ())]
    # A span's one key names several levels ("From the L2-L3 segment to the L5-S1 segment").
    spans = question.template.startswith("span-")
    if question.kind in SINGLE and len(answers) == 1 and not spans and is_plural_stem(prompt):
        out.append(("plural-stem", f"the stem asks in the plural for one key: {prompt!r}"))
    for label, text in (("stem", prompt), ("explanation", question.explanation)) + tuple(
        ("why-wrong line", r) for r in reasons
    ):
        if has_this_template(text):
            out.append(("this-template", f"the {label} reads 'this:': {text!r}"))
        bracket = leftover(text, asides)
        if bracket:
            out.append(("bracket", f"the {label} has a bracketed leftover {bracket!r}"))
    for choice in choices:
        bracket = leftover(choice, asides)
        if bracket:
            out.append(("bracket", f"the option {choice!r} has a leftover {bracket!r}"))
    if question.kind in WITH_OPTIONS:
        cue = key_cue(named, choices, answers, generic)
        if cue:
            out.append(("stem-cues-key", f"the key repeats the stem's word {cue!r}"))
        absolute = absolute_only_in_distractors(choices, answers)
        if absolute:
            out.append(("absolute-words", f"only distractors say {absolute!r}"))
    return out


# Truth, read from the fact base -------------------------------------------


class Truths:
    """What the fact base holds true (published) and never wrong (any fact but retired or
    disputed, arguable pairs, and what a group such as a drug class shares)."""

    def __init__(self, factbase: FactBase) -> None:
        self.factbase = factbase
        self.published: set[tuple[str, str, str]] = set()
        never: set[tuple[str, str, str]] = set()
        for fact in factbase.facts:
            if fact.status == "retired" or fact.confidence == "disputed":
                continue
            never.add((fact.subject, fact.relation, fact.object))
            if fact.status == "published":
                self.published.add((fact.subject, fact.relation, fact.object))
        never |= {(a.subject, a.relation, a.object) for a in factbase.arguable}
        for relation in factbase.relations.values():
            if not relation.generalizes_over:
                continue
            groups: dict[str, set[str]] = defaultdict(set)
            for s, r, o in self.published:
                if r == relation.generalizes_over:
                    groups[o].add(s)
            for members in groups.values():
                shared = {o for s, r, o in never if r == relation.key and s in members}
                never |= {(m, relation.key, o) for m in members for o in shared}
        self.never_wrong = never
        self.objects: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
        for s, r, o in never:
            self.objects[(s, r)].add(o)
            self.subjects[(r, o)].add(s)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for key, entity in factbase.entities.items():
            self.by_name[entity.name.casefold()].add(key)
        self.fact_keys = {f"{s} {r} {o}" for s, r, o in self.published}

    def keys(self, shown: str) -> set[str]:
        return self.by_name.get(shown.casefold(), set())

    def category(self, key: str) -> tuple[str, frozenset[tuple[str, str]]]:
        """An entity's category: its kind; for a phrase (a dose, a description), also the
        relations it answers and the kinds of what it is said of (a drug's dose is not a
        supplement's)."""
        entity = self.factbase.entities[key]
        kind = self.factbase.kinds.get(entity.kind)
        if not (kind and kind.text):
            return entity.kind, frozenset()
        said_of = frozenset(
            (r, self.factbase.entities[s].kind)
            for s, r, o in self.published
            if o == key and s in self.factbase.entities
        )
        return entity.kind, said_of

    def same_category(self, a: str, b: str) -> bool:
        (kind_a, of_a), (kind_b, of_b) = self.category(a), self.category(b)
        return kind_a == kind_b and (not of_a or not of_b or bool(of_a & of_b))


def _triples(question: Any) -> list[tuple[str, str, str]]:
    return [tuple(k.split(" ")) for k in question.facts]  # type: ignore[misc]


def _asked(truths: Truths, question: Any) -> tuple[str, str, bool] | None:
    """What a single-answer stem asks about: (given entity, relation, forward)."""
    facts = _triples(question)
    template = question.template
    if template in ("mcq-forward", "typed-forward"):
        return facts[0][0], facts[0][1], True
    if template in ("mcq-reverse", "typed-reverse"):
        return facts[0][2], facts[0][1], False
    # Stored questions keep their facts unordered: find each fact by its part.
    if template == "vignette-foramen-deficit":
        (deficit,) = [f for f in facts if f[1] != "exits-through"]
        return deficit[0], deficit[1], True
    if template == "vignette-condition":
        symptoms = [f for f in facts if f[1] == "presents-with"]
        (target,) = [f for f in facts if f[1] != "presents-with"]
        condition = symptoms[0][0]
        return (condition, target[1], target[0] == condition)
    return None


def _figure_one_best_answer(truths: Truths, question: Any) -> str | None:
    """A question on a drawing: the stem and the drawing's marks decide the key. The
    highlighted entity is the key (or, asked through a relation, the one entity the
    relation gives for it); of the lettered entities, the key's letter marks the one
    the stem names, and no other letter marks a right answer."""
    marks = dict(getattr(question, "figure_marks", None) or ())
    facts = _triples(question)
    answer = question.answers[0] if question.answers else ""
    if question.template in ("figure-name", "figure-via"):
        shown = [e for e, m in marks.items() if m == "highlight"]
        if len(shown) != 1:
            return f"the drawing highlights {len(shown)} structures"
        if question.template == "figure-name":
            return None if shown[0] in truths.keys(answer) else "the key is not what is highlighted"
        (s, r, _), *_ = [f for f in facts if f[2] == shown[0]] or [("", "", "")]
        right = truths.subjects[(r, shown[0])]
        if right != {s} or s not in truths.keys(answer):
            return f"the highlighted structure has {len(right)} right answers"
        return None
    letters = list(marks.values())
    if len(set(letters)) != len(letters):
        return "two structures carry the same letter"
    keyed = [e for e, m in marks.items() if m == answer]
    if len(keyed) != 1:
        return f"the key's letter marks {len(keyed)} structures"
    if getattr(question, "direction", "") == "name":
        named = [e for e in marks if truths.factbase.entities[e].name in question.prompt]
        return None if named == keyed else "the stem does not name the lettered structure"
    s, r, _ = next((f for f in facts if f[2] == keyed[0]), ("", "", ""))
    right = [e for e in marks if (s, r, e) in truths.never_wrong]
    return None if right == keyed else f"{len(right)} lettered structures are right answers"


def _stem(question: Any) -> str:
    """The stem as the learner meets it: its words, and the marks of its drawing."""
    words = " ".join(question.prompt.casefold().split())
    marks = dict(getattr(question, "figure_marks", None) or ())
    if marks:
        words += f" [{getattr(question, 'figure', '')}: {sorted(marks.items())}]"
    return words


def _one_best_answer(truths: Truths, question: Any) -> str | None:
    """Why the stem alone does not decide the key, or None when it does."""
    template = question.template
    factbase = truths.factbase
    if template.startswith("figure-"):
        return _figure_one_best_answer(truths, question)
    if template == "vignette-root-findings":
        facts = _triples(question)
        # The root is what every finding is about, whatever order the facts come in.
        (root,) = set.intersection(*({s, o} for s, _, o in facts))
        findings = [(r, o if s == root else s, s == root) for s, r, o in facts]
        fits = {
            k
            for k, e in factbase.entities.items()
            if e.kind == factbase.entities[root].kind
            and all(
                ((k, r, x) if root_first else (x, r, k)) in truths.never_wrong
                for r, x, root_first in findings
            )
        }
        if fits != {root}:
            names = sorted(factbase.entities[k].name for k in fits)
            return f"the findings fit {', '.join(names) or 'no root'}"
        return None
    if template == "span-forward":
        s, r, _ = _triples(question)[0]
        held = {o for s_, r_, o in truths.published if (s_, r_) == (s, r)}
        if held != {o for _, _, o in _triples(question)}:
            return "the span leaves out levels the facts give"
        return None
    asked = _asked(truths, question)
    if asked is None:
        return f"the lint does not know how the stem of template {template!r} decides its key"
    given, relation_key, forward = asked
    relation = factbase.relations[relation_key]
    right = (
        truths.objects[(given, relation_key)] if forward else truths.subjects[(relation_key, given)]
    )
    many = relation.many_objects if forward else relation.many_subjects
    if not relation.closed and many:
        return "the relation's lists are examples, so the stem cannot decide one key"
    if len(right) != 1:
        names = sorted(factbase.entities[k].name for k in right if k in factbase.entities)
        return f"the stem has {len(right)} right answers: {'; '.join(names)}"
    (key,) = right
    if key not in truths.keys(question.answers[0]):
        return f"the key is not the one right answer, {factbase.entities[key].name}"
    return None


def _asides(factbase: FactBase) -> frozenset[str]:
    """Bracketed text of names and of authors' explanations: "(tibialis anterior)"."""
    texts = [e.name for e in factbase.entities.values()]
    texts += [a for e in factbase.entities.values() for a in e.aliases]
    texts += [f.explanation for f in factbase.facts]
    texts += [f.disputed_reason for f in factbase.facts]
    return frozenset(m for t in texts for m in re.findall(r"\(([^()]*)\)", t))


def _generic(truths: Truths, question: Any) -> frozenset[str]:
    """The words of the kinds of everything a question names or offers."""
    entities, kinds = truths.factbase.entities, truths.factbase.kinds
    keys = {k for triple in _triples(question) for k in (triple[0], triple[2])}
    keys |= {k for c in question.choices for k in truths.keys(c)}
    return frozenset(
        w
        for k in keys
        if k in entities and entities[k].kind in kinds
        for w in words(kinds[entities[k].kind].name)
    )


def _named(truths: Truths, question: Any) -> list[str]:
    """The names of the things a stem is about: every entity of its facts but the keys."""
    keys = {k for a in question.answers for k in truths.keys(a)}
    entities = truths.factbase.entities
    return [
        entities[k].name
        for triple in _triples(question)
        for k in (triple[0], triple[2])
        if k in entities and k not in keys
    ]


# The lint -----------------------------------------------------------------


def lint(questions: Iterable[Any], factbase: FactBase) -> list[Finding]:
    """Every item-writing rule the questions break, question by question."""
    truths = Truths(factbase)
    questions = list(questions)
    findings: list[Finding] = []

    def add(question: Any, rule: str, message: str) -> None:
        findings.append(Finding(question.key, rule, message, tuple(question.facts)))

    asides = _asides(factbase)
    stems: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for question in questions:
        if question.kind in SINGLE:
            stems[_stem(question)].add(tuple(question.answers))
    for question in questions:
        kind = question.kind
        for rule, message in wording_findings(
            question,
            named=_named(truths, question),
            generic=_generic(truths, question),
            asides=asides,
        ):
            add(question, rule, message)
        if question.template == "tf-inaccuracy":
            continue
        if kind in SINGLE:
            keys = stems[_stem(question)]
            if len(keys) > 1:
                shown = "; ".join(sorted(" / ".join(k) for k in keys))
                add(question, "same-stem", f"the same stem is keyed {shown}")
            problem = _one_best_answer(truths, question)
            if problem:
                add(question, "one-best-answer", problem)
        if kind in ("mcq", "vignette"):
            if len(question.choices) != MCQ_OPTIONS or len(question.answers) != 1:
                add(
                    question,
                    "four-options",
                    f"{len(question.choices)} options and {len(question.answers)} key(s)",
                )
            key_entities = truths.keys(question.answers[0]) if question.answers else set()
            if key_entities:
                for choice in question.choices:
                    if choice in question.answers:
                        continue
                    options = truths.keys(choice)
                    if options and not any(
                        truths.same_category(k, o) for k in key_entities for o in options
                    ):
                        add(question, "option-category", f"{choice!r} is not of the key's category")
        if kind in WITH_OPTIONS:
            explained = {w.option: w for w in getattr(question, "wrong", ())}
            for choice in question.choices:
                if choice in question.answers:
                    continue
                why = explained.get(choice)
                if why is None:
                    add(question, "wrong-unexplained", f"nothing says why {choice!r} is wrong")
                elif why.fact not in truths.fact_keys:
                    add(
                        question,
                        "wrong-unexplained",
                        f"{choice!r} is explained by no published fact",
                    )
    return findings


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per rule, every rule listed."""
    out = dict.fromkeys(RULES, 0)
    for finding in findings:
        out[finding.rule] += 1
    return out


def questions_breaking(findings: Iterable[Finding]) -> int:
    return len({f.question for f in findings})
