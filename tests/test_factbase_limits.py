"""Hostile fact-base files: anchors and aliases, huge values, and how long problems get."""

import pytest

from learning.content.factbase import PROBLEM_TEXT_MAX, FactBaseError, read_factbase


def alias_bomb(levels: int) -> str:
    """Nested anchors under an unknown section, nine of each level's alias in the next,
    the last referenced from a fact's subject: 9**(levels+1) strings when expanded."""
    lines = ["bomb:", '  - &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels + 1):
        lines.append(f"  - &a{n} [{','.join([f'*a{n - 1}'] * 9)}]")
    lines += [
        "facts:",
        f"  - subject: *a{levels}",
        "    relation: r",
        "    object: o",
        "    sources: [s]",
    ]
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_of_the_report_is_a_few_hundred_bytes():
    assert len(alias_bomb(6).encode()) < 500


@pytest.mark.parametrize("levels", [0, 4, 6, 8])
def test_anchors_and_aliases_are_refused_with_a_short_message(tmp_path, levels):
    (tmp_path / "bomb.yaml").write_text(alias_bomb(levels))
    with pytest.raises(FactBaseError) as raised:
        read_factbase(tmp_path)
    problems = raised.value.problems
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "an anchor (&name) is not allowed in a fact base" in problems[0].message
    assert len(str(raised.value)) < 1000


def test_an_alias_without_its_anchor_is_refused_too(tmp_path):
    (tmp_path / "alias.yaml").write_text("facts:\n  - subject: *nowhere\n")
    with pytest.raises(FactBaseError) as raised:
        read_factbase(tmp_path)
    assert "not allowed in a fact base" in str(raised.value) or "undefined alias" in str(
        raised.value
    )


def test_a_huge_value_is_quoted_short_in_every_problem(tmp_path):
    huge = "x" * 100_000
    (tmp_path / "facts.yaml").write_text(
        f"facts:\n  - subject: {huge}\n    relation: {huge}\n    object: [{huge}, {huge}]\n"
        f"    sources: [{huge}]\n    status: {huge}\n"
        f"levels:\n  - key: {huge}\n    kind: {huge}\n"
    )
    with pytest.raises(FactBaseError) as raised:
        read_factbase(tmp_path)
    problems = raised.value.problems
    assert len(problems) >= 4
    for problem in problems:
        assert len(str(problem)) <= 5 * PROBLEM_TEXT_MAX, str(problem)[:300]
    assert len(str(raised.value)) < 50 * 5 * PROBLEM_TEXT_MAX
