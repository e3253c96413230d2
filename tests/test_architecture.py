"""The areas depend one way: content <- study <- courses, and none on the pages above them.

The fact base and the generator know nothing of learners; studying knows nothing of
courses. Read from the source (every import, at any depth of a module), so the check holds
for imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LEARNING = Path(__file__).resolve().parent.parent / "learning"

# What each area may not import. `learning.models` gathers every area's models, so an
# area reads its own models and those of the areas below it by their own module.
REFUSED = {
    "content": ("learning.study", "learning.courses"),
    "study": ("learning.courses",),
    "courses": (),
}
ABOVE_THE_AREAS = ("learning.views", "learning.admin", "learning.urls", "learning.models")


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, `from learning import x` as learning.x."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def refused(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def breaches(area: str) -> list[str]:
    prefixes = REFUSED[area] + ABOVE_THE_AREAS
    return [
        f"{path.relative_to(LEARNING.parent)}:{line} imports {module}"
        for path in sorted((LEARNING / area).rglob("*.py"))
        for line, module in imported(path)
        if refused(module, prefixes)
    ]


@pytest.mark.parametrize("area", sorted(REFUSED))
def test_area_imports_only_what_lies_below_it(area: str) -> None:
    assert (LEARNING / area / "__init__.py").exists()
    assert breaches(area) == []


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        "from learning.study import queue\n"
        "def later():\n"
        "    from learning import courses\n"
        "    import learning.views.learner\n"
    )
    modules = [name for _, name in imported(module)]
    assert refused("learning.study.queue", REFUSED["content"])
    assert "learning.courses" in modules
    assert refused("learning.views.learner", ABOVE_THE_AREAS)
    assert not refused("learning.studying", REFUSED["content"])
