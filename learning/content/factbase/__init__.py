"""The fact base as plain values: reading and checking the YAML fixture.

No ORM here. `read_factbase` turns a folder of YAML files into a `FactBase`
or raises `FactBaseError` listing every problem with its file, line, entry
and field. The database side (`learning.content.services`) loads a checked
`FactBase`, and builds one back from the database for question generation.
"""

from learning.content.factbase.building import (
    read_factbase,
)
from learning.content.factbase.cli import (
    check_seed_sections,
    main,
    seed_headings,
)
from learning.content.factbase.values import (
    CONFIDENCES,
    HEADING_ASIDE_RE,
    HEADING_NUMBER_RE,
    ITEM_RE,
    KEY_RE,
    LEVEL_KEY_RE,
    LEVEL_KINDS,
    PROBLEM_TEXT_MAX,
    RELATION_OPTIONAL,
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
    citation_text,
    clip,
    fact_key,
)
from learning.content.factbase.writer import (
    EXPORT_FILES,
    dump_factbase,
    write_factbase,
)

__all__ = [
    "Arguable",
    "CONFIDENCES",
    "Citation",
    "EXPORT_FILES",
    "Entity",
    "FactValue",
    "FactBase",
    "FactBaseError",
    "HEADING_ASIDE_RE",
    "HEADING_NUMBER_RE",
    "ITEM_RE",
    "KEY_RE",
    "Kind",
    "LEVEL_KEY_RE",
    "LEVEL_KINDS",
    "Level",
    "PROBLEM_TEXT_MAX",
    "RELATION_OPTIONAL",
    "Problem",
    "Relation",
    "SIDES",
    "SOURCE_KINDS",
    "STATUSES",
    "Source",
    "Topic",
    "YIELDS",
    "check_seed_sections",
    "citation_text",
    "clip",
    "dump_factbase",
    "fact_key",
    "main",
    "read_factbase",
    "seed_headings",
    "write_factbase",
]
