"""The spine fact base and its bank, loaded once into each test database."""

from __future__ import annotations

import functools

from django.conf import settings


@functools.cache
def _spine_factbase(directory: str):
    """The fact base's files as read (a quarter of a reload's time): read once a process,
    since tests never change the files."""
    from learning.content.factbase import read_factbase

    return read_factbase(directory)


def load_spine() -> None:
    from django.utils import timezone

    from learning.content.services import factbase_load
    from learning.study.regeneration import bank_regenerate

    factbase_load(factbase=_spine_factbase(str(settings.FACTBASE_DIR)))
    bank_regenerate(now=timezone.now())


def load_spine_if_flushed() -> None:
    """Load the fact base and bank again where a test that commits (a browser test, say)
    has flushed the database since the session loaded them."""
    from learning.content.models import Question

    if not Question.objects.exists():
        load_spine()
