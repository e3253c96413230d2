"""Marking a learner's answer. Pure: plain values in, a verdict out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
ARTICLES = ("the ", "a ", "an ")


def normalise(text: str) -> str:
    """Lower case, plain letters, one kind of dash, no punctuation or leading article."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    for dash in DASHES:
        text = text.replace(dash, "-")
    text = re.sub(r"[^\w\s/-]", " ", text)
    text = re.sub(r"\s*([-/])\s*", r"\1", text)
    text = " ".join(text.split())
    for article in ARTICLES:
        if text.startswith(article):
            text = text[len(article) :]
    return text


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    previous_row: list[int] | None = None
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = ca != cb
            row[j] = min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and before is not None:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]


def allowed_typos(text: str) -> int:
    """Short answers (L4, S1, AS) must be exact; longer ones forgive a slip or two."""
    if len(text) <= 4:
        return 0
    return 1 if len(text) <= 8 else 2


def typed_is_correct(given: str, accepted: Sequence[str], rejected: Sequence[str] = ()) -> bool:
    """Accept a name or alias of the answer, or a small misspelling of one, unless the
    text is as close to a wrong answer's name (L4 is never a typo of L5)."""
    text = normalise(given)
    if not text:
        return False
    right = {normalise(a) for a in accepted}
    wrong = {normalise(r) for r in rejected} - right
    if text in right:
        return True
    if text in wrong:
        return False
    nearest_right = min(edit_distance(text, a) for a in right) if right else 99
    if nearest_right > allowed_typos(text):
        return False
    nearest_wrong = min((edit_distance(text, w) for w in wrong), default=99)
    return nearest_right < nearest_wrong


def is_correct(
    kind: str,
    given: Sequence[str],
    answers: Sequence[str],
    accepted: Sequence[str] = (),
    rejected: Sequence[str] = (),
) -> bool:
    """Mark an answer to a question of `kind`; `given` is what the learner chose or typed."""
    if kind == "typed":
        return len(given) == 1 and typed_is_correct(given[0], accepted, rejected)
    if kind == "multi":
        return len(set(given)) == len(given) and set(given) == set(answers)
    if kind == "order":
        return list(given) == list(answers)
    return len(given) == 1 and given[0] in answers
