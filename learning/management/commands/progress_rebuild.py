from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from learning.study.models import LearnerDay, ReviewLog
from learning.study.services import progress_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the progress tables (fact memories, study days) from the cards and the "
        "review log: for learners whose reviews came some other way (an upgrade from before "
        "the tables, an import), or for everyone with --all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="Rebuild every learner, not only the missing."
        )

    def handle(self, *args: Any, all: bool, **options: Any) -> None:
        learners = get_user_model().objects.filter(pk__in=ReviewLog.objects.values("learner_id"))
        if not all:
            learners = learners.exclude(pk__in=LearnerDay.objects.values("learner_id"))
        rebuilt = list(learners)
        if rebuilt:
            progress_rebuild(learners=rebuilt)
        self.stdout.write(f"Progress: {len(rebuilt)} learner(s) rebuilt from the review log.")
