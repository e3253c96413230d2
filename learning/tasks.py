"""Background work run by the task worker (`manage.py db_worker`): Django's tasks framework.

A task receives ids, never objects, reads what it needs, and records its outcome where
the page that waits for it reads it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from learning import factbase as fb
from learning.models import FactbaseImport

log = logging.getLogger(__name__)

# A refused import keeps this many of its problems for the editor to read.
PROBLEMS_KEPT = 200


@task()
def factbase_import_run(import_id: int) -> str:
    """Read, check and import an uploaded fact base (all or nothing), recording the
    outcome on its FactbaseImport. Runs once: a second run of the same import (a
    retried task) finds it taken and does nothing."""
    from learning.editing import read_upload
    from learning.services import factbase_import

    now = timezone.now()
    claimed = FactbaseImport.objects.filter(
        pk=import_id, status=FactbaseImport.Status.QUEUED
    ).update(status=FactbaseImport.Status.RUNNING, started_at=now)
    if not claimed:
        return "taken"
    record = FactbaseImport.objects.get(pk=import_id)
    outcome: dict[str, object] = {"content": b""}
    try:
        factbase = read_upload(record.name, bytes(record.content))
        with transaction.atomic():
            loaded, regenerated = factbase_import(factbase=factbase, now=timezone.now())
    except fb.FactBaseError as error:
        outcome.update(
            status=FactbaseImport.Status.REFUSED,
            problems=[str(p) for p in error.problems[:PROBLEMS_KEPT]],
            problem_count=len(error.problems),
            summary=f"{len(error.problems)} problem(s): nothing was changed.",
        )
    except ValueError as error:
        outcome.update(status=FactbaseImport.Status.REFUSED, summary=fb.clip(str(error)))
    except Exception:
        log.exception("fact-base import %s failed", import_id)
        outcome.update(
            status=FactbaseImport.Status.FAILED,
            summary="The server failed while importing; nothing was changed. "
            "The error is in the worker's log.",
        )
    else:
        changes = [*loaded.lines(), *regenerated.lines()]
        outcome.update(
            status=FactbaseImport.Status.DONE,
            summary="; ".join(changes) or "Nothing changed.",
        )
    FactbaseImport.objects.filter(pk=import_id).update(finished_at=timezone.now(), **outcome)
    return str(outcome["status"])
