"""How much of a seed article the fact base models, statement by statement.

No ORM here. A seed article is read into its statements (each content line of a
section: a bullet, a paragraph line, a workflow step, an answer of its FAQ; not
headings, not questions, not the lead-in lines that end with a colon). The
inventory (`fixtures/sources/inventory.yaml`) says, for every statement, the
facts that model it, or why nothing there can be asked. `take_inventory`
checks it against the articles and the fact base: every statement accounted
for, every named fact present and citing that very section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from learning.content.factbase import ITEM_RE, FactBase

HEADING_RE = re.compile(r"^(#+)\s*(.*)$")
BULLET_RE = re.compile(r"^[-–•]\s*")


@dataclass(frozen=True)
class Statement:
    section: str  # headings below the title, joined with " > " as citations name them
    text: str


def seed_statements(text: str) -> list[Statement]:
    """The statements of a seed article, in order."""
    path: list[tuple[int, str]] = []
    out = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group(1))
            path = [(lv, t) for lv, t in path if lv < level] + [(level, heading.group(2))]
            continue
        line = BULLET_RE.sub("", line).strip()
        if not line or line.endswith(":") or line.startswith("Q:"):
            continue
        out.append(Statement(" > ".join(t for lv, t in path if lv >= 2), line))
    return out


@dataclass(frozen=True)
class Entry:
    """One statement's line in the inventory: the facts that model it, or a reason."""

    says: str  # how the statement begins
    facts: tuple[str, ...] = ()
    skip: str = ""


@dataclass
class SectionCount:
    seed: str
    section: str
    statements: int = 0
    modelled: int = 0
    not_askable: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    sections: list[SectionCount]
    problems: list[str]

    def totals(self, seed: str) -> SectionCount:
        total = SectionCount(seed, "all sections")
        for count in self.sections:
            if count.seed == seed:
                total.statements += count.statements
                total.modelled += count.modelled
                total.not_askable += count.not_askable
                total.missing += count.missing
        return total

    def lines(self) -> list[str]:
        out = []
        for seed in dict.fromkeys(c.seed for c in self.sections):
            total = self.totals(seed)
            out.append(
                f"{seed}: {total.statements} statements, {total.modelled} modelled, "
                f"{total.not_askable} with nothing to ask, {len(total.missing)} missing"
            )
            for count in self.sections:
                if count.seed == seed:
                    out.append(
                        f"  {count.modelled:3}/{count.statements:<3} modelled"
                        f"{f', {count.not_askable} nothing to ask' if count.not_askable else ''}"
                        f"{f', {len(count.missing)} MISSING' if count.missing else ''}"
                        f"  {count.section}"
                    )
        return out


class InventoryError(Exception):
    pass


def read_inventory(path: str | Path) -> dict[str, dict[str, list[Entry]]]:
    """seed source key -> section -> its entries, as the inventory file holds them."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {exc}") from exc
    out: dict[str, dict[str, list[Entry]]] = {}
    for seed, sections in document.items():
        if not isinstance(sections, dict):
            raise InventoryError(f"{path}: {seed} must map sections to statements")
        out[seed] = {}
        for section, entries in sections.items():
            where = f"{path}: {seed}, {section}"
            if not isinstance(entries, list):
                raise InventoryError(f"{where}: must be a list of statements")
            out[seed][section] = []
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("says"), str):
                    raise InventoryError(f"{where}: every statement needs 'says'")
                facts = entry.get("facts") or []
                skip = entry.get("skip") or ""
                if bool(facts) == bool(skip):
                    raise InventoryError(
                        f"{where}: '{entry['says']}' needs either facts or a reason to skip"
                    )
                out[seed][section].append(
                    Entry(" ".join(entry["says"].split()), tuple(facts), " ".join(skip.split()))
                )
    return out


def _cites(factbase: FactBase, fact_key: str, source: str, section: str) -> bool:
    fact = next((f for f in factbase.facts if f.key == fact_key), None)
    if fact is None:
        return False
    for citation in fact.citations:
        cited = ITEM_RE.sub("", citation.section)
        if citation.source == source and (cited == section or cited.startswith(section + " > ")):
            return True
    return False


def take_inventory(
    factbase: FactBase,
    seeds_dir: str | Path,
    inventory: dict[str, dict[str, list[Entry]]],
) -> Inventory:
    """Count, section by section, the statements the inventory accounts for, and list
    every statement it misses and every fact it names wrongly."""
    counts: list[SectionCount] = []
    problems: list[str] = []
    live = {f.key for f in factbase.facts if f.status != "retired"}
    for seed, sections in inventory.items():
        source = factbase.sources.get(seed)
        if source is None or source.kind != "seed":
            problems.append(f"{seed}: not a seed source of the fact base")
            continue
        statements = seed_statements((Path(seeds_dir) / source.file).read_text(encoding="utf-8"))
        by_section: dict[str, list[Statement]] = {}
        for statement in statements:
            by_section.setdefault(statement.section, []).append(statement)
        for section in sections:
            if section not in by_section:
                problems.append(f"{seed}: no section '{section}' in {source.file}")
        for section, found in by_section.items():
            count = SectionCount(seed, section, statements=len(found))
            entries = sections.get(section, [])
            used: set[int] = set()
            for statement in found:
                matches = [i for i, e in enumerate(entries) if statement.text.startswith(e.says)]
                if not matches:
                    count.missing.append(statement.text)
                    continue
                if len(matches) > 1:
                    problems.append(f"{seed}, {section}: several entries match '{statement.text}'")
                entry = entries[matches[0]]
                used.add(matches[0])
                if entry.skip:
                    count.not_askable += 1
                    continue
                count.modelled += 1
                for key in entry.facts:
                    if key not in live:
                        problems.append(f"{seed}, {section}: no fact '{key}'")
                    elif not _cites(factbase, key, seed, section):
                        problems.append(
                            f"{seed}, {section}: fact '{key}' does not cite this section"
                        )
            for i, entry in enumerate(entries):
                if i not in used:
                    problems.append(f"{seed}, {section}: no statement begins '{entry.says}'")
            counts.append(count)
    return Inventory(counts, problems)
