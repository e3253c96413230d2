"""The fact-base admin: for content editors only, with history, preview and regeneration.

Saving a fact regenerates, in the same transaction, only the questions the change can
alter (`facts_regenerate`); saving the vocabulary (entities, relations,
levels, kinds, topics, sources) regenerates the whole bank, since a renamed entity
may be a wrong choice anywhere. Facts are never deleted: they are retired.
"""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

# Each module registers its models with the admin site.
from learning.admin import bank, courses, facts, vocabulary  # noqa: F401, E402

# The fact base's admin is for content editors. django-tasks-db registers its task
# results here too; an editor sees the outcome of their own work on its own page, and
# operators read task results in the database.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
