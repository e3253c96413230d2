"""`read_factbase`: the checked entries built into a `FactBase`: topics without cycles, relations and their
contrasts, facts with their citations, arguable pairs."""

from __future__ import annotations

import re
from pathlib import Path

from learning.content.factbase.reader import (
    Node,
    _display_name,
    _Entry,
    _flag,
    _list,
    _Reader,
    _text,
    _unique,
)
from learning.content.factbase.values import (
    CONFIDENCES,
    KEY_RE,
    LEVEL_KEY_RE,
    LEVEL_KINDS,
    SIDES,
    SOURCE_KINDS,
    STATUSES,
    YIELDS,
    Arguable,
    Citation,
    Entity,
    FactBase,
    FactBaseError,
    FactValue,
    Kind,
    Level,
    Problem,
    Relation,
    Source,
    Topic,
    fact_key,
)


def read_factbase(directory: str | Path) -> FactBase:
    """Read and check every `*.yaml` file of `directory`, in name order."""
    directory = Path(directory)
    reader = _Reader()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FactBaseError([Problem(str(directory), 0, "", "", "no .yaml files found")])
    for path in files:
        reader.read_file(path, _display_name(path))
    factbase = _build(reader)
    if reader.problems:
        raise FactBaseError(sorted(reader.problems, key=lambda p: (p.file, p.line)))
    return factbase


def _build(reader: _Reader) -> FactBase:
    sources: dict[str, Source] = {}
    for key, entry in _unique(reader, reader.entries["sources"], "source", KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in SOURCE_KINDS:
            reader.problem(entry, "kind", f"'{kind}' is not one of {', '.join(SOURCE_KINDS)}")
        file = _text(reader, entry, "file", required=False)
        if kind == "seed" and not file:
            reader.problem(entry, "file", "a seed source names its seed file")
        sources[key] = Source(
            key,
            kind,
            _text(reader, entry, "title"),
            _text(reader, entry, "short"),
            file,
            _text(reader, entry, "site", required=False),
        )

    topics: dict[str, Topic] = {}
    topic_entries: dict[str, _Entry] = {}
    for key, entry in _unique(reader, reader.entries["topics"], "topic", KEY_RE):
        parent = _text(reader, entry, "parent", required=False) or None
        topics[key] = Topic(key, _text(reader, entry, "name"), parent)
        topic_entries[key] = entry
    for key, topic in topics.items():
        if topic.parent and topic.parent not in topics:
            reader.problem(topic_entries[key], "parent", f"unknown topic '{topic.parent}'")
        elif _topic_cycle(topics, key):
            reader.problem(topic_entries[key], "parent", "topics form a cycle")

    kinds: dict[str, Kind] = {}
    for key, entry in _unique(reader, reader.entries["kinds"], "kind", KEY_RE):
        kinds[key] = Kind(key, _text(reader, entry, "name"), _flag(reader, entry, "text", False))

    levels: dict[str, Level] = {}
    level_entries: dict[str, _Entry] = {}
    orders: dict[int, str] = {}
    for key, entry in _unique(reader, reader.entries["levels"], "level", LEVEL_KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in LEVEL_KINDS:
            reader.problem(entry, "kind", f"'{kind}' is not one of {', '.join(LEVEL_KINDS)}")
        order = entry.node.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            reader.problem(entry, "order", "must be a whole number")
            order = 0
        elif order in orders:
            reader.problem(
                entry, "order", f"{order} is already the order of level '{orders[order]}'"
            )
        orders[order] = key
        between = _list(reader, entry, "between")
        if kind == "segmental" and len(between) != 2:
            reader.problem(entry, "between", "a segmental level lies between two vertebrae")
        levels[key] = Level(
            key,
            kind,
            order,
            _text(reader, entry, "region"),
            between,
            _list(reader, entry, "aliases"),
        )
        level_entries[key] = entry
    for key, level in levels.items():
        for vertebra in level.between:
            if levels.get(vertebra) is None or levels[vertebra].kind != "vertebral":
                reader.problem(
                    level_entries[key], "between", f"'{vertebra}' is not a vertebral level"
                )

    relations = _build_relations(reader, topics, kinds)

    entities: dict[str, Entity] = {}
    for key, entry in _unique(reader, reader.entries["entities"], "entity", KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in kinds:
            reader.problem(entry, "kind", f"unknown kind '{kind}'")
        entity_levels = _list(reader, entry, "levels")
        for level in entity_levels:
            if level not in levels:
                reader.problem(entry, "levels", f"unknown level '{level}'")
        entities[key] = Entity(
            key,
            kind,
            _text(reader, entry, "name"),
            _list(reader, entry, "aliases"),
            entity_levels,
            _text(reader, entry, "description", required=False),
        )

    facts = _build_facts(reader, sources, relations, entities)
    arguable = _build_arguable(reader, relations, entities, {f.key for f in facts})
    return FactBase(
        sources, topics, kinds, levels, relations, entities, tuple(facts), tuple(arguable)
    )


def _topic_cycle(topics: dict[str, Topic], key: str) -> bool:
    seen = {key}
    parent = topics[key].parent
    while parent and parent in topics:
        if parent in seen:
            return True
        seen.add(parent)
        parent = topics[parent].parent
    return False


def _build_relations(
    reader: _Reader, topics: dict[str, Topic], kinds: dict[str, Kind]
) -> dict[str, Relation]:
    relations: dict[str, Relation] = {}
    entries: dict[str, _Entry] = {}
    for key, entry in _unique(reader, reader.entries["relations"], "relation", KEY_RE):
        topic = _text(reader, entry, "topic")
        if topic and topic not in topics:
            reader.problem(entry, "topic", f"unknown topic '{topic}'")
        kind_lists = {}
        for name in ("subject_kinds", "object_kinds", "contrast_kinds", "contrast_reverse_kinds"):
            kind_lists[name] = tuple(sorted(_list(reader, entry, name)))
            for kind in kind_lists[name]:
                if kind not in kinds:
                    reader.problem(entry, name, f"unknown kind '{kind}'")
        for name in ("subject_kinds", "object_kinds"):
            if name in entry.node and not kind_lists[name]:
                reader.problem(entry, name, "must list at least one kind")
        wording = {}
        for name, needs in (
            ("forward", ("{subject}",)),
            ("reverse", ("{object}",)),
            ("statement", ("{subject}", "{object}")),
            ("forward_all", ("{subject}",)),
            ("reverse_all", ("{object}",)),
        ):
            wording[name] = _text(reader, entry, name, required=not name.endswith("_all"))
            for placeholder in needs:
                if wording[name] and placeholder not in wording[name]:
                    reader.problem(entry, name, f"must contain {placeholder}")
            other = re.sub(r"\{(subject|object)\}", "", wording[name])
            if "{" in other or "}" in other:
                reader.problem(entry, name, "only {subject} and {object} may be filled in")
        typed = _list(reader, entry, "typed")
        for side in typed:
            if side not in SIDES:
                reader.problem(entry, "typed", f"'{side}' is not one of subject, object")
        for side in typed:
            side_kinds = kind_lists["subject_kinds" if side == "subject" else "object_kinds"]
            if any(kinds.get(k) and kinds[k].text for k in side_kinds):
                reader.problem(entry, "typed", f"the {side} is a phrase and cannot be typed")
        closed = _flag(reader, entry, "closed", True)
        orderable = _flag(reader, entry, "orderable", False)
        order_prompt = _text(reader, entry, "order_prompt", required=False)
        ordered_by = _text(reader, entry, "ordered_by", required=False) or None
        if orderable and ordered_by:
            reader.problem(
                entry, "ordered_by", "a relation is put in order by its levels or by a sequence"
            )
        elif (orderable or ordered_by) and not order_prompt:
            reader.problem(entry, "order_prompt", "an orderable relation needs its prompt")
        elif ordered_by and "{object}" not in order_prompt:
            reader.problem(entry, "order_prompt", "a sequence's prompt names it with {object}")
        if order_prompt and re.sub(r"\{object\}", "", order_prompt).count("{"):
            reader.problem(entry, "order_prompt", "only {object} may be filled in")
        relations[key] = Relation(
            key=key,
            topic=topic,
            subject_kinds=kind_lists["subject_kinds"],
            object_kinds=kind_lists["object_kinds"],
            forward=wording["forward"],
            reverse=wording["reverse"],
            statement=wording["statement"],
            many_objects=_flag(reader, entry, "many_objects", False),
            many_subjects=_flag(reader, entry, "many_subjects", False),
            closed=closed,
            contrast=_text(reader, entry, "contrast", required=False) or None,
            contrast_reverse=_text(reader, entry, "contrast_reverse", required=False) or None,
            contrast_kinds=kind_lists["contrast_kinds"],
            contrast_reverse_kinds=kind_lists["contrast_reverse_kinds"],
            typed=typed,
            orderable=orderable,
            order_prompt=order_prompt,
            generalizes_over=_text(reader, entry, "generalizes_over", required=False) or None,
            attributed=_flag(reader, entry, "attributed", False),
            forward_all=wording["forward_all"],
            reverse_all=wording["reverse_all"],
            ordered_by=ordered_by,
        )
        entries[key] = entry
    for key, relation in relations.items():
        entry = entries[key]
        for name in ("contrast", "contrast_reverse", "generalizes_over", "ordered_by"):
            other = getattr(relation, name)
            if other and other not in relations:
                reader.problem(entry, name, f"unknown relation '{other}'")
        if relation.ordered_by in relations:
            steps = relations[relation.ordered_by]
            members = set(relation.subject_kinds)
            if not (set(steps.subject_kinds) & members and set(steps.object_kinds) & members):
                reader.problem(
                    entry,
                    "ordered_by",
                    "the sequence must link members of this relation's subjects",
                )
        if relation.contrast in relations:
            shared = set(relation.subject_kinds) & set(relations[relation.contrast].subject_kinds)
            if not shared:
                reader.problem(
                    entry, "contrast", "the contrast relation must share the subject kind"
                )
        if relation.contrast_reverse in relations:
            other = relations[relation.contrast_reverse]
            if not set(relation.object_kinds) & set(other.object_kinds):
                reader.problem(
                    entry, "contrast_reverse", "the contrast relation must share the object kind"
                )
        for name, side in (
            ("contrast_kinds", relation.object_kinds),
            ("contrast_reverse_kinds", relation.subject_kinds),
        ):
            overlap = set(getattr(relation, name)) & set(side)
            if overlap:
                reader.problem(
                    entry,
                    name,
                    f"kinds that can be true answers cannot contrast: {', '.join(sorted(overlap))}",
                )
        if relation.generalizes_over in relations:
            group = relations[relation.generalizes_over]
            if not set(group.subject_kinds) & set(relation.subject_kinds):
                reader.problem(
                    entry, "generalizes_over", "the grouping relation must share the subject kind"
                )
    return relations


def _build_facts(
    reader: _Reader,
    sources: dict[str, Source],
    relations: dict[str, Relation],
    entities: dict[str, Entity],
) -> list[FactValue]:
    facts: list[FactValue] = []
    seen: dict[str, _Entry] = {}
    for entry in reader.entries["facts"]:
        subject = _text(reader, entry, "subject")
        relation_key = _text(reader, entry, "relation")
        object_ = _text(reader, entry, "object")
        relation = relations.get(relation_key)
        if relation_key and relation is None:
            reader.problem(entry, "relation", f"unknown relation '{relation_key}'")
        for name, key, allowed in (
            ("subject", subject, relation.subject_kinds if relation else None),
            ("object", object_, relation.object_kinds if relation else None),
        ):
            if not key:
                continue
            entity = entities.get(key)
            if entity is None:
                reader.problem(entry, name, f"unknown entity '{key}'")
            elif allowed is not None and entity.kind not in allowed:
                reader.problem(
                    entry,
                    name,
                    f"'{key}' is a {entity.kind}; relation "
                    f"'{relation_key}' takes {', '.join(allowed)}",
                )
        if subject and subject == object_:
            reader.problem(entry, "object", "a fact cannot link an entity to itself")
        citations = _citations(reader, entry, sources)
        confidence = _text(reader, entry, "confidence", required=False)
        reason = _text(reader, entry, "disputed", required=False)
        if not confidence:
            confidence = "disputed" if reason else _default_confidence(citations, sources)
        if confidence not in CONFIDENCES:
            reader.problem(
                entry, "confidence", f"'{confidence}' is not one of {', '.join(CONFIDENCES)}"
            )
        if confidence == "disputed" and not reason:
            reader.problem(
                entry,
                "confidence" if "confidence" in entry.node else "disputed",
                "a disputed fact needs a one-line reason under 'disputed'",
            )
        if reason and confidence != "disputed":
            reader.problem(entry, "disputed", "only a disputed fact has a disputed reason")
        if (
            confidence == "seed"
            and citations
            and not any(sources[c.source].kind == "seed" for c in citations if c.source in sources)
        ):
            reader.problem(entry, "confidence", "a seed fact cites at least one seed")
        status = _text(reader, entry, "status", required=False) or "published"
        if status not in STATUSES:
            reader.problem(entry, "status", f"'{status}' is not one of {', '.join(STATUSES)}")
        yield_level = _text(reader, entry, "yield", required=False) or "supporting"
        if yield_level not in YIELDS:
            reader.problem(entry, "yield", f"'{yield_level}' is not one of {', '.join(YIELDS)}")
        fact = FactValue(
            subject,
            relation_key,
            object_,
            citations,
            _text(reader, entry, "explanation", required=False),
            _text(reader, entry, "qualifier", required=False),
            confidence,
            reason,
            status,
            yield_level,
        )
        if subject and relation_key and object_:
            if fact.key in seen:
                first = seen[fact.key]
                reader.problem(
                    entry,
                    "object",
                    f"the same fact is already at "
                    f"{first.file}:{first.line()}; list both "
                    "sources under one fact",
                )
                continue
            seen[fact.key] = entry
        facts.append(fact)
    return facts


def _default_confidence(citations: tuple[Citation, ...], sources: dict[str, Source]) -> str:
    if any(c.source in sources and sources[c.source].kind == "seed" for c in citations):
        return "seed"
    return "standard"


def _citations(reader: _Reader, entry: _Entry, sources: dict[str, Source]) -> tuple[Citation, ...]:
    raw = entry.node.get("sources")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        reader.problem(entry, "sources", "must be a list of 'source-key: section' citations")
        return ()
    citations = []
    for item in raw:
        if isinstance(item, Node) and len(item) == 1:
            # `- seed-004: Section` without quotes parses as a one-key mapping
            ((source, section),) = item.items()
        elif isinstance(item, str) and ":" in item:
            source, section = item.split(":", 1)
        else:
            reader.problem(entry, "sources", f"'{item}' is not a 'source-key: section' citation")
            continue
        source = source.strip()
        section = " ".join(str(section or "").split())
        if source not in sources:
            reader.problem(entry, "sources", f"unknown source '{source}'")
            continue
        if not section:
            reader.problem(entry, "sources", f"the citation of '{source}' names no section")
            continue
        citations.append(Citation(source, section))
    return tuple(citations)


def _build_arguable(
    reader: _Reader,
    relations: dict[str, Relation],
    entities: dict[str, Entity],
    fact_keys: set[str],
) -> list[Arguable]:
    pairs: list[Arguable] = []
    seen: set[str] = set()
    for entry in reader.entries["arguable"]:
        subject = _text(reader, entry, "subject")
        relation = _text(reader, entry, "relation")
        object_ = _text(reader, entry, "object")
        if relation and relation not in relations:
            reader.problem(entry, "relation", f"unknown relation '{relation}'")
        for name, key in (("subject", subject), ("object", object_)):
            if key and key not in entities:
                reader.problem(entry, name, f"unknown entity '{key}'")
        key = fact_key(subject, relation, object_)
        if key in fact_keys:
            reader.problem(entry, "object", "this pair is a fact; it cannot also be arguable")
        elif key in seen:
            reader.problem(entry, "object", "this pair is listed twice")
        seen.add(key)
        pairs.append(Arguable(subject, relation, object_, _text(reader, entry, "reason")))
    return pairs
