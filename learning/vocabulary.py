"""The fact base's vocabulary that study pages read on every answer and every dashboard:
its sources, levels and top-level topics.

They change only when an editor saves the vocabulary or a fact base is loaded, so they
are kept in the cache and dropped at once when any of them is saved or deleted. Where
the cache is Redis, shared by every process, the drop reaches them all and the
vocabulary is kept for an hour; a cache of each process's own is kept for a minute,
the longest another process may show a change late.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from learning.content.models import Level, Source, Topic

KEY = "spinequiz:vocabulary:1"
KEPT_SECONDS = 60
KEPT_SECONDS_SHARED = 60 * 60


def _kept_seconds() -> int:
    shared = settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    return KEPT_SECONDS_SHARED if shared else KEPT_SECONDS


@dataclass(frozen=True)
class Vocabulary:
    sources: dict[str, Source]  # by key
    levels: list[Level]  # in the spine's order
    topics: list[Topic]  # the top-level topics, in their order


def vocabulary() -> Vocabulary:
    """The vocabulary, from the cache or (three queries) from the database."""
    kept = cache.get(KEY)
    if isinstance(kept, Vocabulary):
        return kept
    fresh = Vocabulary(
        sources={s.key: s for s in Source.objects.all()},
        levels=list(Level.objects.all()),
        topics=list(Topic.objects.filter(parent__isnull=True)),
    )
    cache.set(KEY, fresh, _kept_seconds())
    return fresh


def forget(**_: object) -> None:
    """Drop the kept vocabulary: the next reader reads it afresh."""
    cache.delete(KEY)


for model in (Source, Level, Topic):
    post_save.connect(forget, sender=model, dispatch_uid=f"vocabulary-save-{model.__name__}")
    post_delete.connect(forget, sender=model, dispatch_uid=f"vocabulary-delete-{model.__name__}")
