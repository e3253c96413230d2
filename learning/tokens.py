"""Signed values the study pages hand to the browser and take back.

Each is a small frozen dataclass with `sign()` and `load()`: the page carries what
it was shown (whose card, which question, which session), and a form posted back
cannot name another learner's card or a question that was never shown.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from typing import ClassVar, Self

from django.core import signing

MAX_AGE = 60 * 60 * 24  # a study page left open for a day is stale


class TokenInvalid(Exception):
    """The value was changed, did not come from SpineQuiz, or is too old."""


class _Signed:
    salt: ClassVar[str]

    def sign(self) -> str:
        return signing.dumps(astuple(self), salt=self.salt, compress=True)  # type: ignore[call-overload]

    @classmethod
    def load(cls, value: str) -> Self:
        try:
            data = signing.loads(value, salt=cls.salt, max_age=MAX_AGE)
        except signing.BadSignature as error:  # SignatureExpired is one too
            raise TokenInvalid from error
        if not isinstance(data, list) or len(data) != len(fields(cls)):  # type: ignore[arg-type]
            raise TokenInvalid
        return cls(*data)


def _pairs(values: list[list[str]] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in values)


@dataclass(frozen=True)
class CardToken(_Signed):
    """A question shown to a learner, for what they do to their card of it: bury,
    suspend, flag, note. `session` is the study session's filter as query pairs."""

    salt: ClassVar[str] = "spinequiz.study.card"

    learner: int
    question: int
    session: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "session", _pairs(self.session))


@dataclass(frozen=True)
class AgainToken(CardToken):
    """A question to show first when the study page opens: the one whose answer was
    just undone."""

    salt: ClassVar[str] = "spinequiz.study.again"


@dataclass(frozen=True)
class UndoToken(_Signed):
    """The learner's latest answer: the `number`th review of their card `card`."""

    salt: ClassVar[str] = "spinequiz.study.undo"

    learner: int
    card: int
    number: int
    session: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "session", _pairs(self.session))
