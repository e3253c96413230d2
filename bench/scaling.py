"""Synthetic fact bases N times the size of the real one. Pure: no database."""

from __future__ import annotations

from dataclasses import replace

from learning.content.factbase import Arguable, Entity, FactBase

LEVEL_KINDS = {"vertebra", "segment", "disc", "foramen", "nerve-root"}


def scaled(factbase: FactBase, copies: int) -> FactBase:
    """The fact base and `copies - 1` renamed copies of its entities, facts and pairs.

    Levels, roots and the other level-bound kinds stay single (the spine has one
    L2), so every copy hangs its drugs, conditions and symptoms on the same spine.
    """
    entities = dict(factbase.entities)
    facts = list(factbase.facts)
    arguable = list(factbase.arguable)
    for n in range(1, copies):

        def key(k: str, n: int = n) -> str:
            return k if factbase.entities[k].kind in LEVEL_KINDS else f"{k}-copy{n}"

        for k, e in factbase.entities.items():
            if e.kind not in LEVEL_KINDS:
                entities[key(k)] = Entity(
                    key(k), e.kind, f"{e.name} (copy {n})", (), e.levels, e.description
                )
        facts += [
            replace(f, subject=key(f.subject), object=key(f.object))
            for f in factbase.facts
            if key(f.subject) != f.subject or key(f.object) != f.object
        ]
        arguable += [
            Arguable(key(a.subject), a.relation, key(a.object), a.reason)
            for a in factbase.arguable
            if key(a.subject) != a.subject or key(a.object) != a.object
        ]
    return replace(
        factbase,
        entities=entities,
        facts=tuple(dict.fromkeys(facts)),
        arguable=tuple(dict.fromkeys(arguable)),
    )
