"""`python -m learning.content.generation preview|stats`: read the questions of a fact, or
the bank's figures, without a database."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from learning.content.factbase import YIELDS
from learning.content.generation.incremental import rests_only_on
from learning.content.generation.origins import generate_questions
from learning.content.generation.values import KINDS, GeneratedQuestion


@dataclass(frozen=True)
class BankFigures:
    """What the bank holds: questions per kind and per yield, the default deck, and
    how much of the default deck rests on nothing but the least reliable seed."""

    total: int
    by_kind: dict[str, int]
    by_yield: dict[str, int]
    default_deck: int
    default_by_yield: dict[str, int]
    default_only_seed_004: int

    @classmethod
    def of(cls, questions: Sequence[GeneratedQuestion]) -> BankFigures:
        deck = [q for q in questions if q.default_deck]
        return cls(
            total=len(questions),
            by_kind={k: sum(q.kind == k for q in questions) for k in KINDS},
            by_yield={y: sum(q.yield_level == y for q in questions) for y in YIELDS},
            default_deck=len(deck),
            default_by_yield={y: sum(q.yield_level == y for q in deck) for y in YIELDS},
            default_only_seed_004=sum(rests_only_on(q, "seed-004") for q in deck),
        )

    @property
    def share_only_seed_004(self) -> float:
        return self.default_only_seed_004 / self.default_deck if self.default_deck else 0.0

    def lines(self) -> list[str]:
        out = [f"{kind:12} {self.by_kind[kind]}" for kind in KINDS]
        out.append(f"{'total':12} {self.total}")
        out += [
            f"{'yield ' + y:18} {self.by_yield[y]:5} in the bank, "
            f"{self.default_by_yield[y]:5} in the default deck"
            for y in YIELDS
        ]
        out.append(f"{'default deck':18} {self.default_deck:5}")
        out.append(
            f"{'only seed 004':18} {self.default_only_seed_004:5} of the default deck "
            f"({self.share_only_seed_004:.1%})"
        )
        return out


def describe(question: GeneratedQuestion) -> str:
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
    for wrong in question.wrong:
        lines.append(f"   not {wrong.option}: {wrong.reason}")
    lines.append(f"  why: {question.explanation}")
    lines.append(f"  sources: {'; '.join(question.citations)}")
    lines.append(f"  yield: {question.yield_level}")
    if not question.default_deck:
        lines.append("  (not in the default decks)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m learning.content.generation preview [--subject KEY] [--kind KIND] [--dir DIR]`."""
    from learning.content.factbase import FactBaseError, read_factbase

    if not argv or argv[0] not in ("preview", "stats"):
        print(
            "usage: python -m learning.content.generation preview|stats [--subject KEY] "
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
        print("\n".join(BankFigures.of(questions).lines()))
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
