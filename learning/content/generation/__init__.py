"""Question generation: a pure function of the fact base.

`generate_questions(factbase)` returns the whole bank. Nothing here reads the
clock or a global random generator: every choice is drawn from a
`random.Random` seeded by the question's key, so the same facts give the same
bank, byte for byte.

The one rule that matters most: a wrong answer (distractor) is never true.
An entity is offered as wrong only if it is of the answer's kind, is not
linked by a fact of any status except disputed or retired, is not listed as
arguable, and is not true of another member of the subject's group (a drug
class). Open relations (causes, symptoms ...) draw wrong answers only from
their contrast relation or contrast kinds, never from mere absence.
"""

from learning.content.generation.cli import BankFigures, describe, main
from learning.content.generation.incremental import (
    FactBaseSource,
    Facts,
    FactSlice,
    FactSource,
    regenerate_touched,
    rests_only_on,
)
from learning.content.generation.origins import (
    generate_origins,
    generate_questions,
    origins_of,
    origins_touched,
)
from learning.content.generation.values import (
    KIND_NAMES,
    KINDS,
    GeneratedQuestion,
    WrongAnswer,
    fact_origin,
    forward_origin,
    question_key,
    reverse_origin,
    sequence_origin,
)

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "BankFigures",
    "FactBaseSource",
    "FactSlice",
    "FactSource",
    "Facts",
    "GeneratedQuestion",
    "WrongAnswer",
    "describe",
    "fact_origin",
    "forward_origin",
    "generate_origins",
    "generate_questions",
    "main",
    "origins_of",
    "origins_touched",
    "question_key",
    "regenerate_touched",
    "rests_only_on",
    "reverse_origin",
    "sequence_origin",
]
