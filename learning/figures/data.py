"""Figures as plain values: reading and checking the drawings of the fact base.

A figure is one YAML file of `fixtures/factbase/figures/`: a schematic drawing made of
named regions (shapes, points, arrows), each linked to an entity of the fact base and
to the facts that make it worth asking about, with the figure's own source. No ORM
here. `read_figures` returns the figures or raises `FigureError` naming the file,
line and field of every problem, as `read_factbase` does for the facts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learning.content.factbase import (
    KEY_RE,
    Citation,
    FactBase,
    FactBaseError,
    Problem,
    clip,
    fact_key,
)
from learning.content.factbase.reader import Node, _LineLoader

# What a figure shows, for the bank's counts and the screenshots of each kind.
FIGURE_KINDS = ("spine", "foramen", "key-points", "myotomes")
SHAPES = ("rect", "ellipse", "polygon", "point", "arrow")
STYLES = ("bone", "disc", "nerve", "cord", "skin", "line", "space", "movement", "point")
# Each letter question letters four regions: the key and three others (four options).
LETTERS = ("A", "B", "C", "D")
MAX_COORDINATE = 2000
FIELDS_REQUIRED = {"key", "kind", "title", "description", "source", "size", "regions"}
FIELDS_OPTIONAL = {
    "note",
    "outline",
    "name_prompt",
    "via",
    "via_prompt",
    "letter_prompt",
    "via_letter_prompt",
}
REGION_REQUIRED = {"entity", "shape", "facts", "label"}
REGION_OPTIONAL = {"style"}
OUTLINE_FIELDS = {"shape", "style"}


@dataclass(frozen=True)
class Shape:
    """One drawn shape: `kind` is one of SHAPES; `values` its numbers (rect: x, y,
    width, height; ellipse: cx, cy, rx, ry; point: x, y; polygon and arrow: x, y
    pairs, an arrow's head at its last point)."""

    kind: str
    values: tuple[float, ...]
    style: str = "bone"

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(zip(self.values[0::2], self.values[1::2], strict=True))

    @property
    def anchor(self) -> tuple[float, float]:
        """Where the shape is, for distances between regions and for leader lines."""
        if self.kind == "rect":
            x, y, w, h = self.values
            return (x + w / 2, y + h / 2)
        if self.kind in ("ellipse", "point"):
            return (self.values[0], self.values[1])
        points = self.points
        if self.kind == "arrow":
            return points[len(points) // 2]
        return (
            sum(p[0] for p in points) / len(points),
            sum(p[1] for p in points) / len(points),
        )


@dataclass(frozen=True)
class Region:
    entity: str
    shape: Shape
    facts: tuple[str, ...]
    label: tuple[float, float]


@dataclass(frozen=True)
class Figure:
    key: str
    kind: str
    title: str
    description: str
    source: Citation
    width: float
    height: float
    regions: tuple[Region, ...]
    outline: tuple[Shape, ...] = ()
    note: str = ""
    # "Which {kind} is highlighted?": the kind's name is filled in.
    name_prompt: str = ""
    # A relation whose subject the highlighted region's entity leads to (the root
    # whose key sensory point is marked), and how that question and its letter
    # question read ({subject}, {level}: the subject's name and its level).
    via: str = ""
    via_prompt: str = ""
    # "Which letter marks the {name}?"
    letter_prompt: str = ""
    via_letter_prompt: str = ""

    def region(self, entity: str) -> Region | None:
        return next((r for r in self.regions if r.entity == entity), None)

    def distance(self, a: Region, b: Region) -> float:
        (ax, ay), (bx, by) = a.shape.anchor, b.shape.anchor
        return math.hypot(ax - bx, ay - by)

    def neighbours(self, region: Region) -> list[Region]:
        """The other regions, nearest first: the confusable ones lead."""
        others = [r for r in self.regions if r.entity != region.entity]
        return sorted(others, key=lambda r: (round(self.distance(region, r), 3), r.entity))


class FigureError(FactBaseError):
    """A broken figure file: every problem with its file, line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.args = (str(self).replace("The fact base has", "The figures have", 1),)


# Reading -------------------------------------------------------------------


class _Reader:
    def __init__(self, name: str, factbase: FactBase | None) -> None:
        self.name = name
        self.factbase = factbase
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, field_name: str, message: str, entry: str = "") -> None:
        line = 0
        if node is not None:
            line = node.key_lines.get(field_name.split(".")[-1], node.line)
        self.problems.append(Problem(self.name, line, entry, field_name, message))

    def text(self, node: Node, name: str, entry: str, *, required: bool = True) -> str:
        value = node.get(name)
        if value is None:
            if required:
                self.problem(node, name, "is required", entry)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(node, name, "must be text", entry)
            return ""
        text = " ".join(str(value).split())
        if required and not text:
            self.problem(node, name, "must not be empty", entry)
        return text

    def numbers(self, node: Node, name: str, value: Any, entry: str) -> tuple[float, ...] | None:
        """A flat list of coordinates, or pairs `[[x, y], ...]` flattened."""
        flat: list[Any] = []
        if isinstance(value, list):
            for item in value:
                flat.extend(item if isinstance(item, list) else [item])
        if not flat or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in flat
        ):
            self.problem(node, name, "must be a list of numbers", entry)
            return None
        if any(not math.isfinite(v) or abs(v) > MAX_COORDINATE for v in flat):
            self.problem(
                node, name, f"coordinates lie between -{MAX_COORDINATE} and {MAX_COORDINATE}", entry
            )
            return None
        return tuple(float(v) for v in flat)

    def shape(self, node: Node, entry: str, default_style: str) -> Shape | None:
        raw = node.get("shape")
        if not isinstance(raw, Node) or len(raw) != 1:
            self.problem(
                node, "shape", f"must be one of {', '.join(SHAPES)} with its numbers", entry
            )
            return None
        ((kind, value),) = raw.items()
        if kind not in SHAPES:
            self.problem(raw, kind, f"'{clip(kind, 40)}' is not one of {', '.join(SHAPES)}", entry)
            return None
        values = self.numbers(raw, kind, value, entry)
        if values is None:
            return None
        counts = {"rect": (4,), "ellipse": (4,), "point": (2,)}
        if kind in counts and len(values) not in counts[kind]:
            self.problem(raw, kind, f"a {kind} takes {counts[kind][0]} numbers", entry)
            return None
        if kind == "polygon" and (len(values) % 2 or len(values) < 6):
            self.problem(raw, kind, "a polygon takes three or more [x, y] points", entry)
            return None
        if kind == "arrow" and (len(values) % 2 or len(values) < 4):
            self.problem(raw, kind, "an arrow takes two or more [x, y] points", entry)
            return None
        if kind in ("rect", "ellipse") and min(values[2:]) <= 0:
            self.problem(raw, kind, "width and height must be more than 0", entry)
            return None
        style = self.text(node, "style", entry, required=False) or default_style
        if style not in STYLES:
            self.problem(
                node, "style", f"'{clip(style, 40)}' is not one of {', '.join(STYLES)}", entry
            )
            style = default_style
        return Shape(kind, values, style)

    def figure(self, document: Any) -> Figure | None:
        if not isinstance(document, Node):
            self.problem(None, "", "a figure file must be a mapping of fields")
            return None
        for missing in sorted(FIELDS_REQUIRED - document.keys()):
            self.problem(document, missing, "is required")
        for unknown in sorted(document.keys() - FIELDS_REQUIRED - FIELDS_OPTIONAL):
            self.problem(document, unknown, "is not a field of a figure")
        key = self.text(document, "key", "")
        if key and not KEY_RE.match(key):
            self.problem(document, "key", f"'{clip(key, 40)}' is not a valid figure key")
        kind = self.text(document, "kind", "")
        if kind and kind not in FIGURE_KINDS:
            self.problem(
                document, "kind", f"'{clip(kind, 40)}' is not one of {', '.join(FIGURE_KINDS)}"
            )
        size = document.get("size")
        width = height = 0.0
        values = self.numbers(document, "size", size, "") if "size" in document else None
        if values is not None:
            if len(values) != 2 or min(values) <= 0:
                self.problem(document, "size", "must be [width, height], both more than 0")
            else:
                width, height = values
        source = self._source(document)
        texts = {
            name: self.text(document, name, "", required=name in FIELDS_REQUIRED)
            for name in ("title", "description", "note", *sorted(FIELDS_OPTIONAL - {"outline"}))
        }
        via = texts["via"]
        if via and self.factbase is not None and via not in self.factbase.relations:
            self.problem(document, "via", f"unknown relation '{clip(via, 40)}'")
        if via and not (texts["via_prompt"] and texts["via_letter_prompt"]):
            self.problem(
                document,
                "via",
                "a figure asked through a relation needs via_prompt and via_letter_prompt",
            )
        if not (texts["letter_prompt"] or texts["via_letter_prompt"]):
            self.problem(document, "letter_prompt", "a figure asks at least one letter question")
        for name, allowed in (
            ("name_prompt", {"{kind}"}),
            ("letter_prompt", {"{name}"}),
            ("via_letter_prompt", {"{subject}", "{level}"}),
        ):
            leftover = texts[name]
            for placeholder in allowed:
                leftover = leftover.replace(placeholder, "")
            if "{" in leftover or "}" in leftover:
                self.problem(document, name, f"only {', '.join(sorted(allowed))} may be filled in")
        outline = self._outline(document)
        regions = self._regions(document, via)
        if self.problems:
            return None
        return Figure(
            key=key,
            kind=kind,
            title=texts["title"],
            description=texts["description"],
            source=source,  # type: ignore[arg-type]
            width=width,
            height=height,
            regions=tuple(regions),
            outline=tuple(outline),
            note=texts["note"],
            name_prompt=texts["name_prompt"],
            via=via,
            via_prompt=texts["via_prompt"],
            letter_prompt=texts["letter_prompt"],
            via_letter_prompt=texts["via_letter_prompt"],
        )

    def _source(self, document: Node) -> Citation | None:
        text = self.text(document, "source", "")
        if not text:
            return None
        source, _, section = text.partition(":")
        source, section = source.strip(), section.strip()
        if not section:
            self.problem(document, "source", "must be a 'source-key: section' citation")
            return None
        if self.factbase is not None and source not in self.factbase.sources:
            self.problem(document, "source", f"unknown source '{clip(source, 40)}'")
        return Citation(source, section)

    def _outline(self, document: Node) -> list[Shape]:
        raw = document.get("outline")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(document, "outline", "must be a list of shapes")
            return []
        shapes = []
        for index, item in enumerate(raw, start=1):
            entry = f"outline shape {index}"
            if not isinstance(item, Node):
                self.problem(document, "outline", f"{entry} must be a mapping of fields")
                continue
            for unknown in sorted(item.keys() - OUTLINE_FIELDS):
                self.problem(item, unknown, "is not a field of an outline shape", entry)
            shape = self.shape(item, entry, "bone")
            if shape is not None:
                shapes.append(shape)
        return shapes

    def _regions(self, document: Node, via: str) -> list[Region]:
        raw = document.get("regions")
        if raw is None:
            return []
        if not isinstance(raw, list) or not raw:
            self.problem(document, "regions", "must be a list of regions")
            return []
        regions: list[Region] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, Node):
                self.problem(document, "regions", f"region {index} must be a mapping of fields")
                continue
            entity = self.text(item, "entity", f"region {index}")
            entry = f"region '{clip(entity, 60)}'" if entity else f"region {index}"
            for missing in sorted(REGION_REQUIRED - item.keys() - {"entity"}):
                self.problem(item, missing, "is required", entry)
            for unknown in sorted(item.keys() - REGION_REQUIRED - REGION_OPTIONAL):
                self.problem(item, unknown, "is not a field of a region", entry)
            if entity in seen:
                self.problem(
                    item,
                    "entity",
                    f"'{entity}' already has a region (line {seen[entity]}): one region per entity",
                    entry,
                )
            seen.setdefault(entity, item.line)
            shape = self.shape(item, entry, "bone") if "shape" in item else None
            label = None
            if "label" in item:
                values = self.numbers(item, "label", item.get("label"), entry)
                if values is not None and len(values) != 2:
                    self.problem(item, "label", "must be [x, y]", entry)
                elif values is not None:
                    label = (values[0], values[1])
            facts = self._facts(item, entry)
            if self.factbase is not None and entity:
                self._check_links(item, entry, entity, facts, via)
            if entity and shape is not None and label is not None and facts:
                regions.append(Region(entity, shape, facts, label))
        return regions

    def _facts(self, item: Node, entry: str) -> tuple[str, ...]:
        raw = item.get("facts")
        if raw is None:
            return ()
        if not isinstance(raw, list) or not raw or not all(isinstance(f, str) for f in raw):
            self.problem(
                item, "facts", "must list one or more facts as 'subject relation object'", entry
            )
            return ()
        out = []
        for text in raw:
            parts = text.split()
            if len(parts) != 3:
                self.problem(
                    item, "facts", f"'{clip(text, 80)}' is not 'subject relation object'", entry
                )
                continue
            out.append(fact_key(*parts))
        return tuple(out)

    def _check_links(
        self, item: Node, entry: str, entity: str, facts: tuple[str, ...], via: str
    ) -> None:
        factbase = self.factbase
        assert factbase is not None
        if entity not in factbase.entities:
            self.problem(item, "entity", f"unknown entity '{clip(entity, 60)}'", entry)
            return
        published = {f.key: f for f in factbase.facts if f.is_published}
        for key in facts:
            fact = published.get(key)
            if fact is None:
                self.problem(item, "facts", f"'{clip(key, 80)}' is not a published fact", entry)
            elif entity not in (fact.subject, fact.object):
                self.problem(item, "facts", f"'{clip(key, 80)}' is not about '{entity}'", entry)
        if via and not any(f.relation == via and f.object == entity for f in published.values()):
            self.problem(
                item, "entity", f"no published '{via}' fact has '{entity}' as its object", entry
            )


def read_figure(path: Path, name: str, factbase: FactBase | None = None) -> Figure:
    """One figure file; `factbase`, when given, is checked for every link."""
    reader = _Reader(name, factbase)
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - safe loader subclass
    except UnicodeDecodeError as exc:
        raise FigureError([Problem(name, 0, "", "", f"not UTF-8 text ({exc.reason})")]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = f"not valid YAML: {exc.problem or exc.context}"
        raise FigureError([Problem(name, line, "", "", message)]) from exc
    except yaml.YAMLError as exc:
        raise FigureError([Problem(name, 0, "", "", f"not valid YAML: {exc}")]) from exc
    figure = reader.figure(document)
    if figure is None:
        raise FigureError(sorted(reader.problems, key=lambda p: p.line))
    return figure


def read_figures(directory: str | Path, factbase: FactBase | None = None) -> dict[str, Figure]:
    """Every `*.yaml` figure of `directory`, by key, in file name order. With `factbase`,
    every region must link to an entity and name published facts about it."""
    directory = Path(directory)
    figures: dict[str, Figure] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        name = _display_name(path)
        try:
            figure = read_figure(path, name, factbase)
        except FigureError as exc:
            problems += exc.problems
            continue
        if figure.key in figures:
            problems.append(Problem(name, 1, "", "key", f"duplicate figure '{figure.key}'"))
            continue
        figures[figure.key] = figure
    if problems:
        raise FigureError(problems)
    return figures


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
