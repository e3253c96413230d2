"""The fact base written back as YAML, in the files and order an editor reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from learning.content.factbase.values import (
    RELATION_OPTIONAL,
    FactBase,
    FactValue,
    Relation,
    fact_key,
)

# Writing ----------------------------------------------------------------

EXPORT_FILES = (
    ("00-sources.yaml", "sources", "Where every fact comes from; a fact cites these by key."),
    ("01-topics.yaml", "topics", "The topic tree."),
    ("02-kinds.yaml", "kinds", "Kinds of entity (text: true for phrases)."),
    ("03-levels.yaml", "levels", "Spinal levels, cranial to caudal."),
    ("04-relations.yaml", "relations", "The typed links and the wording of their questions."),
    ("10-entities.yaml", "entities", "The things facts are about."),
    ("20-facts.yaml", "facts", "Subject, relation, object, each with its sources."),
    ("30-arguable.yaml", "arguable", "Pairs never offered as wrong answers."),
)


class _Flow(list):
    """A short list written on one line: `aliases: [L2, L2 root]`."""


class _Folded(str):
    """A long text written folded over several lines."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Entries indented under their section, as the fixture files are written.
        return super().increase_indent(flow, False)


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style=">")
)


def _long(text: str) -> str:
    return _Folded(text) if len(text) > 80 else text


def _entries(factbase: FactBase, section: str) -> list[dict[str, Any]]:
    if section == "sources":
        return [
            {"key": s.key, "kind": s.kind, "title": s.title, "short": s.short}
            | ({"file": s.file} if s.file else {})
            | ({"site": s.site} if s.site else {})
            for s in factbase.sources.values()
        ]
    if section == "topics":
        return [
            {"key": t.key, "name": t.name} | ({"parent": t.parent} if t.parent else {})
            for t in factbase.topics.values()
        ]
    if section == "kinds":
        return [
            {"key": k.key, "name": k.name} | ({"text": True} if k.text else {})
            for k in factbase.kinds.values()
        ]
    if section == "levels":
        return [
            {"key": lv.key, "kind": lv.kind, "order": lv.order, "region": lv.region}
            | ({"between": _Flow(lv.between)} if lv.between else {})
            | ({"aliases": _Flow(lv.aliases)} if lv.aliases else {})
            for lv in sorted(factbase.levels.values(), key=lambda lv: lv.order)
        ]
    if section == "relations":
        return [_relation_entry(r) for r in factbase.relations.values()]
    if section == "entities":
        return [
            {"key": e.key, "kind": e.kind, "name": e.name}
            | ({"aliases": _Flow(e.aliases)} if e.aliases else {})
            | ({"levels": _Flow(e.levels)} if e.levels else {})
            | ({"description": _long(e.description)} if e.description else {})
            for e in sorted(factbase.entities.values(), key=lambda e: e.key)
        ]
    if section == "facts":
        return [_fact_entry(f) for f in sorted(factbase.facts, key=lambda f: f.key)]
    return [
        {"subject": a.subject, "relation": a.relation, "object": a.object, "reason": a.reason}
        for a in sorted(factbase.arguable, key=lambda a: fact_key(a.subject, a.relation, a.object))
    ]


def _relation_entry(r: Relation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": r.key,
        "topic": r.topic,
        "subject_kinds": _Flow(r.subject_kinds),
        "object_kinds": _Flow(r.object_kinds),
        "forward": r.forward,
        "reverse": r.reverse,
        "statement": r.statement,
    }
    defaults = Relation(r.key, r.topic, (), (), "", "", "")
    for name in RELATION_OPTIONAL:
        value = getattr(r, name)
        if value != getattr(defaults, name):
            entry[name] = _Flow(value) if isinstance(value, tuple) else value
    return entry


def _fact_entry(f: FactValue) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "subject": f.subject,
        "relation": f.relation,
        "object": f.object,
        "sources": [str(c) for c in f.citations],
    }
    if f.explanation:
        entry["explanation"] = _long(f.explanation)
    if f.qualifier:
        entry["qualifier"] = f.qualifier
    entry["confidence"] = f.confidence
    if f.disputed_reason:
        entry["disputed"] = f.disputed_reason
    entry["status"] = f.status
    entry["yield"] = f.yield_level
    return entry


def dump_factbase(factbase: FactBase) -> dict[str, str]:
    """The fact base as the YAML files of `fixtures/factbase/`: file name -> text.

    Reading the files back with `read_factbase` gives the same fact base."""
    files = {}
    for name, section, comment in EXPORT_FILES:
        text = yaml.dump(
            {section: _entries(factbase, section)},
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=88,
        )
        # A blank line between entries, as in the fixture files.
        text = text.replace("\n  - ", "\n\n  - ").replace(":\n\n  - ", ":\n  - ", 1)
        files[name] = f"# {comment}\n{text}"
    return files


def write_factbase(factbase: FactBase, directory: str | Path) -> list[Path]:
    """Write `dump_factbase` into `directory` (which must exist); the written paths."""
    written = []
    for name, text in dump_factbase(factbase).items():
        path = Path(directory) / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
