"""Reading and checking the fact base files (no database)."""

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from learning.content.factbase import YIELDS, FactBaseError, check_seed_sections, read_factbase

FACTBASE = Path(settings.FACTBASE_DIR)


@pytest.fixture(scope="module")
def spine():
    return read_factbase(FACTBASE)


def test_the_spine_fact_base_reads_without_problems(spine):
    counts = spine.counts()
    assert counts["facts"] >= 300
    assert counts["levels"] == 13


def test_every_fact_names_a_source_and_every_seed_section_exists(spine):
    assert all(fact.citations for fact in spine.facts)
    assert check_seed_sections(spine, Path(settings.SEEDS_DIR)) == []


def test_the_seed_articles_live_in_the_project_with_their_origin_stated(spine):
    sources = Path(settings.SEEDS_DIR)
    assert sources.resolve().is_relative_to(Path(settings.BASE_DIR).resolve())
    origins = (sources / "README.md").read_text(encoding="utf-8")
    seeds = [s for s in spine.sources.values() if s.kind == "seed"]
    assert len(seeds) == 5
    for seed in seeds:
        assert (sources / seed.file).is_file(), seed.file
        (row,) = [line for line in origins.splitlines() if line.startswith(f"| {seed.file} |")]
        address = row.split("|")[4].strip()
        assert address.startswith("https://") or address.startswith("not recorded"), row


def test_nothing_in_the_project_reads_the_shared_folder_outside_it():
    """A clone of the project has no shared folder beside it: nothing may need one."""
    root = Path(settings.BASE_DIR)
    files = [
        *root.glob("*.py"),
        *root.glob("Makefile"),
        *root.glob("pyproject.toml"),
        *(
            p
            for folder in ("learning", "spinequiz", "tests", "bench")
            for p in (root / folder).rglob("*.py")
        ),
    ]
    # A path into the shared folder: up and into it, its seeds, or a join with its name.
    # The name is put together here, so that this test itself holds no such path.
    name = re.escape("sha" + "red")
    reads_shared = re.compile(rf"\.\.[/\\]{name}|{name}/seeds|/\s*\"{name}\"|\"{name}\"\s*/")
    for path in files:
        assert not reads_shared.search(path.read_text(encoding="utf-8")), path


def test_every_fact_states_its_yield_and_the_essentials_are_core(spine):
    for path in sorted(FACTBASE.glob("*.yaml")):
        for fact in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("facts") or []:
            where = f"{path.name}: {fact['subject']} {fact['relation']} {fact['object']}"
            assert fact.get("yield") in YIELDS, where
    essentials = {
        "exits-through",
        "key-sensory-point",
        "sensory-supply",
        "key-muscle",
        "motor-supply",
        "reflex-tests",
        "red-flag-of",
        "red-flag-suggests",
        "located-at",
    }
    for fact in spine.facts:
        if fact.relation in essentials:
            assert fact.yield_level == "core", fact.key
        if fact.relation == "dosed-as":
            assert fact.yield_level == "background", fact.key


def test_every_seed_article_is_cited(spine):
    cited = Counter(c.source for fact in spine.facts for c in fact.citations)
    for key in ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004"):
        assert cited[key] > 0, key


def test_disputed_facts_carry_a_reason_and_the_foramen_disagreement_is_kept(spine):
    disputed = [f for f in spine.facts if f.confidence == "disputed"]
    assert disputed and all(f.disputed_reason for f in disputed)
    exits = {
        (f.subject, f.confidence)
        for f in spine.facts
        if f.relation == "exits-through" and f.object == "foramen-l1-l2"
    }
    assert ("root-l1", "seed") in exits or ("root-l1", "standard") in exits
    assert ("root-l2", "disputed") in exits


def test_every_level_t12_to_s1_has_a_dermatome_a_myotome_and_a_source(spine):
    roots = [f"root-{lv.lower()}" for lv in ("T12", "L1", "L2", "L3", "L4", "L5", "S1")]
    for root in roots:
        relations = {f.relation for f in spine.facts if f.subject == root and f.is_published}
        assert "key-sensory-point" in relations, root
        assert relations & {"key-muscle", "motor-supply"}, root
    standards = [f for f in spine.facts if f.relation == "key-sensory-point"]
    assert all(any(c.source == "isncsci" for c in f.citations) for f in standards)


# Broken files -----------------------------------------------------------

BROKEN = {
    "yaml syntax": ("facts:\n  - subject: [root-l1\n", "line 3", "not valid YAML"),
    "unknown entity": (
        "facts:\n  - subject: root-l1\n    relation: exits-through\n"
        "    object: foramen-l9-l10\n    sources: ['moore: Spinal nerves']\n",
        "line 4",
        "field 'object': unknown entity 'foramen-l9-l10'",
    ),
    "wrong kind for the relation": (
        "facts:\n  - subject: vertebra-l1\n    relation: exits-through\n"
        "    object: foramen-l1-l2\n    sources: ['moore: Spinal nerves']\n",
        "line 2",
        "'vertebra-l1' is a vertebra; relation 'exits-through' takes nerve-root",
    ),
    "no source": (
        "facts:\n  - subject: root-l1\n    relation: exits-through\n    object: foramen-l2-l3\n",
        "line 2",
        "field 'sources': is required",
    ),
    "unknown source": (
        "facts:\n  - subject: root-l1\n    relation: exits-through\n    object: foramen-l2-l3\n"
        "    sources: ['wikipedia: Spinal nerve']\n",
        "line 5",
        "unknown source 'wikipedia'",
    ),
    "disputed without a reason": (
        "facts:\n  - subject: root-l1\n    relation: exits-through\n    object: foramen-l2-l3\n"
        "    sources: ['moore: Spinal nerves']\n    confidence: disputed\n",
        "line 6",
        "a disputed fact needs a one-line reason",
    ),
    "unknown yield": (
        "facts:\n  - subject: root-l1\n    relation: exits-through\n    object: foramen-l2-l3\n"
        "    sources: ['moore: Spinal nerves']\n    yield: vital\n",
        "line 6",
        "field 'yield': 'vital' is not one of core, supporting, background",
    ),
    "a sequence prompt that does not name the whole": (
        "relations:\n  - key: step-of-test\n    topic: anatomy\n"
        "    subject_kinds: [nerve-root]\n    object_kinds: [foramen]\n"
        "    forward: Which foramen has {subject}?\n    reverse: Which root has {object}?\n"
        "    statement: '{subject} has {object}.'\n    ordered_by: exits-through\n"
        "    order_prompt: Put them in order.\n",
        "line 10",
        "field 'order_prompt': a sequence's prompt names it with {object}",
    ),
    "misspelt field": (
        "entities:\n  - key: root-c5\n    kind: nerve-root\n    name: C5 nerve root\n"
        "    alises: [C5]\n",
        "line 5",
        "field 'alises': is not a field of this section",
    ),
    "duplicate key": (
        "entities:\n  - key: root-l2\n    kind: nerve-root\n    name: L2 root again\n",
        "line 2",
        "duplicate entity 'root-l2'",
    ),
    "unknown section": ("fakts:\n  - subject: root-l1\n", "line 1", "unknown section"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_refused_naming_file_line_entry_and_field(case, tmp_path):
    text, line, message = BROKEN[case]
    folder = tmp_path / "factbase"
    shutil.copytree(FACTBASE, folder)
    (folder / "99-broken.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(FactBaseError) as raised:
        read_factbase(folder)

    problems = [str(p) for p in raised.value.problems]
    assert any(
        "99-broken.yaml" in p and f":{line.split()[1]}" in p and message in p for p in problems
    ), problems


def test_problems_are_all_reported_at_once(tmp_path):
    folder = tmp_path / "factbase"
    shutil.copytree(FACTBASE, folder)
    (folder / "99-broken.yaml").write_text(
        BROKEN["unknown entity"][0] + BROKEN["misspelt field"][0], encoding="utf-8"
    )
    with pytest.raises(FactBaseError) as raised:
        read_factbase(folder)
    assert len(raised.value.problems) >= 2
