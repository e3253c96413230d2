"""`python -m learning.content.factbase check DIR [--seeds DIR]`, and the check that every
seed section is cited."""

from __future__ import annotations

from pathlib import Path

from learning.content.factbase.building import read_factbase
from learning.content.factbase.values import ITEM_RE, FactBase, FactBaseError

# Seed citations ---------------------------------------------------------


def seed_headings(text: str) -> set[str]:
    """Every line of a seed that a section may name (markdown '#' stripped)."""
    return {" ".join(line.lstrip("#").split()) for line in text.splitlines() if line.strip()}


def check_seed_sections(factbase: FactBase, seeds_dir: str | Path) -> list[str]:
    """Citations of seeds whose section is not a heading of the seed file."""
    seeds_dir = Path(seeds_dir)
    headings: dict[str, set[str]] = {}
    problems: list[str] = []
    for source in factbase.sources.values():
        if source.kind == "seed":
            path = seeds_dir / source.file
            if not path.exists():
                problems.append(f"source '{source.key}': seed file {path} not found")
                continue
            headings[source.key] = seed_headings(path.read_text(encoding="utf-8"))
    for fact in factbase.facts:
        for citation in fact.citations:
            if citation.source not in headings:
                continue
            section = ITEM_RE.sub("", citation.section)
            for part in section.split(" > "):
                if " ".join(part.split()) not in headings[citation.source]:
                    problems.append(
                        f"fact '{fact.key}': section '{part}' is not a heading of {citation.source}"
                    )
    return problems


def main(argv: list[str]) -> int:
    """`python -m learning.content.factbase check DIR [--seeds DIR]`: report problems and counts."""
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python -m learning.content.factbase check FACTBASE_DIR [--seeds SEEDS_DIR]")
        return 2
    seeds = argv[argv.index("--seeds") + 1] if "--seeds" in argv else None
    try:
        factbase = read_factbase(argv[1])
    except FactBaseError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s)")
        return 1
    seeds_dir = (
        Path(seeds) if seeds else Path(__file__).resolve().parents[1] / "fixtures" / "sources"
    )
    section_problems = check_seed_sections(factbase, seeds_dir) if seeds_dir.exists() else []
    for problem in section_problems:
        print(problem)
    counts = ", ".join(f"{n} {name}" for name, n in factbase.counts().items())
    print(
        f"fact base OK: {counts}"
        if not section_problems
        else f"{len(section_problems)} citation problem(s); {counts}"
    )
    return 1 if section_problems else 0
