"""The vocabulary study pages read on every answer is kept in the cache, and dropped
whenever an editor saves a source, level or topic, or a fact base is loaded."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning.content.factbase import read_factbase
from learning.content.services import factbase_load
from learning.models import Level, Source
from learning.vocabulary import vocabulary

pytestmark = pytest.mark.django_db


def test_the_vocabulary_is_read_once_then_kept(spine_bank):
    first = vocabulary()
    with CaptureQueriesContext(connection) as queries:
        again = vocabulary()
    assert len(queries) == 0
    assert again.sources.keys() == first.sources.keys()
    assert [lv.key for lv in again.levels] == [lv.key for lv in Level.objects.all()]


def test_a_source_saved_is_read_afresh(spine_bank):
    source = Source.objects.order_by("key").first()
    assert vocabulary().sources[source.key].title == source.title
    source.title = "A retitled article"
    source.save()
    assert vocabulary().sources[source.key].title == "A retitled article"


def test_loading_the_fact_base_drops_what_was_kept(spine_bank):
    source = Source.objects.order_by("key").first()
    original = source.title
    # Changed without a save signal, as a bulk update would: a load puts it back.
    Source.objects.filter(pk=source.pk).update(title="Changed behind the cache")
    vocabulary()
    factbase_load(factbase=read_factbase(settings.FACTBASE_DIR))
    assert vocabulary().sources[source.key].title == original


def test_a_cache_of_each_process_keeps_it_a_minute_a_shared_one_an_hour(spine_bank, monkeypatch):
    import time

    from django.test import override_settings

    from learning import vocabulary as kept

    vocabulary()
    moment = time.time()
    # Another process may have saved a source meanwhile: a minute later it is read again.
    monkeypatch.setattr(time, "time", lambda: moment + 61)
    with CaptureQueriesContext(connection) as queries:
        vocabulary()
    assert len(queries) == 3
    # Redis is shared by every process, and every save drops the kept copy for all.
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    with override_settings(CACHES=redis):
        assert kept._kept_seconds() == 60 * 60
    assert kept._kept_seconds() == 60
