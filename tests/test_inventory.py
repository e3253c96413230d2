"""The inventory of the anatomy seeds: every statement modelled by a fact that cites it."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from learning.content.factbase import (
    Citation,
    Entity,
    FactBase,
    Kind,
    Relation,
    Source,
    Topic,
    read_factbase,
)
from learning.content.factbase import (
    FactValue as Fact,
)
from learning.content.inventory import (
    InventoryError,
    read_inventory,
    seed_statements,
    take_inventory,
)

INVENTORY = Path(settings.SEEDS_DIR) / "inventory.yaml"
ANATOMY_SEEDS = ("seed-000", "seed-001", "seed-002", "seed-003")


def test_every_statement_of_the_anatomy_seeds_is_modelled_or_says_why_not():
    taken = take_inventory(
        read_factbase(settings.FACTBASE_DIR), settings.SEEDS_DIR, read_inventory(INVENTORY)
    )
    assert taken.problems == []
    for seed in ANATOMY_SEEDS:
        total = taken.totals(seed)
        assert total.missing == [], (seed, total.missing[:3])
        assert total.statements > 100
        # Only disclaimers, costs and lines that frame a section go unasked.
        assert total.modelled >= 0.95 * total.statements, seed
    assert {c.seed for c in taken.sections} == set(ANATOMY_SEEDS)


SEED = """# Title

## Intro (What it is)
The L9 level sits below L8.
It includes the L9 disc.
## Uses
Common purposes include:
- Localising: finding the level.
- 
Step one
   Looking first.
### Details
- A nested point.
## FAQ
Q: Is it real?
No, it is made up.
"""


def test_a_seed_is_read_as_statements_by_section():
    statements = seed_statements(SEED)
    assert [(s.section, s.text) for s in statements] == [
        ("Intro (What it is)", "The L9 level sits below L8."),
        ("Intro (What it is)", "It includes the L9 disc."),
        ("Uses", "Localising: finding the level."),
        ("Uses", "Step one"),
        ("Uses", "Looking first."),
        ("Uses > Details", "A nested point."),
        ("FAQ", "No, it is made up."),
    ]


def _tiny(tmp_path: Path) -> FactBase:
    (tmp_path / "seed.md").write_text(SEED, encoding="utf-8")
    entities = {k: Entity(k, "thing", k) for k in ("l8", "l9", "disc")}
    return FactBase(
        sources={"seed-x": Source("seed-x", "seed", "Seed X", "seed X", "seed.md")},
        topics={"t": Topic("t", "T")},
        kinds={"thing": Kind("thing", "thing")},
        relations={
            "above": Relation("above", "t", ("thing",), ("thing",), "{subject}?", "{object}?", "s")
        },
        entities=entities,
        facts=(
            Fact("l8", "above", "l9", (Citation("seed-x", "Intro (What it is)"),)),
            Fact("l9", "above", "disc", (Citation("seed-x", "Uses"),)),
        ),
    )


def test_the_inventory_names_what_is_missing_and_every_fact_that_does_not_cite_its_section(
    tmp_path,
):
    factbase = _tiny(tmp_path)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "seed-x:\n"
        "  Intro (What it is):\n"
        "    - says: The L9 level\n      facts: [l8 above l9]\n"
        "    - says: It includes\n      facts: [l9 above disc]\n"
        "  FAQ:\n"
        "    - says: 'No, it is'\n      skip: made up\n"
        "    - says: Nothing begins so\n      skip: no such line\n",
        encoding="utf-8",
    )
    taken = take_inventory(factbase, tmp_path, read_inventory(inventory))
    intro = next(c for c in taken.sections if c.section == "Intro (What it is)")
    assert (intro.statements, intro.modelled) == (2, 2)
    assert "seed-x, Intro (What it is): fact 'l9 above disc' does not cite this section" in (
        taken.problems
    )
    assert "seed-x, FAQ: no statement begins 'Nothing begins so'" in taken.problems
    uses = next(c for c in taken.sections if c.section == "Uses")
    assert uses.missing == ["Localising: finding the level.", "Step one", "Looking first."]
    faq = next(c for c in taken.sections if c.section == "FAQ")
    assert (faq.statements, faq.not_askable) == (1, 1)


def test_an_inventory_entry_needs_facts_or_a_reason(tmp_path):
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("seed-x:\n  Intro:\n    - says: The L9 level\n", encoding="utf-8")
    with pytest.raises(InventoryError, match="needs either facts or a reason to skip"):
        read_inventory(inventory)


def test_the_command_prints_the_counts_per_section_and_refuses_a_gap(tmp_path):
    out = io.StringIO()
    call_command("seed_inventory", stdout=out)
    text = out.getvalue()
    for seed in ANATOMY_SEEDS:
        assert f"{seed}: " in text and " 0 missing" in text
    assert "9/10  modelled, 1 nothing to ask  L2 nerve root Common questions (FAQ)" in text

    short = tmp_path / "inventory.yaml"
    lines = INVENTORY.read_text(encoding="utf-8").splitlines()
    # Leave out the first statement of seed 000 (its 'says' line and its facts).
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("- says:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("- says:"))
    short.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 statement"):
        call_command("seed_inventory", "--inventory", str(short), stdout=io.StringIO())
