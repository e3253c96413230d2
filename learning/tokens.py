"""Signed values the study pages hand to the browser and take back.

Each is a small frozen dataclass with `sign()` and `load()`: the page carries what
it was shown (whose card, which question, which session), and a form posted back
cannot name another learner's card or a question that was never shown.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from typing import Any, ClassVar, Self

from django.core import signing

MAX_AGE = 60 * 60 * 24  # a study page left open for a day is stale


class TokenInvalid(Exception):
    """The value was changed, did not come from SpineQuiz, or is too old."""


class TokenExpired(TokenInvalid):
    """The value came from SpineQuiz, but longer ago than `MAX_AGE`."""


class _Signed:
    salt: ClassVar[str]

    def __post_init__(self) -> None:
        # A value read back from JSON holds lists where the token keeps tuples.
        if hasattr(self, "session"):
            object.__setattr__(self, "session", _pairs(self.session))

    def sign(self) -> str:
        return signing.dumps(astuple(self), salt=self.salt, compress=True)  # type: ignore[call-overload]

    @classmethod
    def load(cls, value: str) -> Self:
        try:
            data = signing.loads(value, salt=cls.salt, max_age=MAX_AGE)
        except signing.SignatureExpired as error:
            raise TokenExpired from error
        except signing.BadSignature as error:
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


@dataclass(frozen=True)
class QuestionToken(_Signed):
    """A question shown to a learner: their card had `reviews` reviews then (an answer
    is recorded only while it still has), shown at `shown_at` (seconds since the epoch)."""

    salt: ClassVar[str] = "spinequiz.study.question"

    learner: int
    question: int
    reviews: int
    shown_at: float
    session: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RatingToken(_Signed):
    """A right answer waiting for its rating: what was given, how long it took, and the
    moment it was checked (seconds since the epoch)."""

    salt: ClassVar[str] = "spinequiz.study.rating"

    learner: int
    question: int
    reviews: int
    answer: Any  # a string, or a list of them (several choices, an order)
    correct: bool
    duration_ms: int
    checked_at: float
    session: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FeedbackToken(_Signed):
    """The feedback on an answer, for the page that shows it without JavaScript: the
    rating form's own token (`rating`, none for a wrong answer, recorded at once), the
    next interval of each rating, and whether the answer had been recorded before."""

    salt: ClassVar[str] = "spinequiz.study.feedback"

    learner: int
    question: int
    reviews: int
    answer: Any
    correct: bool
    session: tuple[tuple[str, str], ...] = ()
    rating: str = ""
    intervals: tuple[tuple[int, str], ...] = ()
    duplicate: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "intervals", tuple((int(r), str(label)) for r, label in self.intervals)
        )
