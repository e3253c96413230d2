from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from learning.models import LearnerDay, ReviewLog
from learning.services import progress_rebuild, progress_refresh


class Command(BaseCommand):
    help = (
        "Bring the progress tables up to date: recompute every learner's cells at this "
        "moment (run nightly, as recall fades), and rebuild the tables of learners whose "
        "reviews came some other way (an upgrade, an import)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild-all",
            action="store_true",
            help="Rebuild every learner's tables from the cards and the review log.",
        )

    def handle(self, *args: Any, rebuild_all: bool, **options: Any) -> None:
        now = timezone.now()
        learners = get_user_model().objects.filter(pk__in=ReviewLog.objects.values("learner_id"))
        if not rebuild_all:
            learners = learners.exclude(pk__in=LearnerDay.objects.values("learner_id"))
        rebuilt = list(learners)
        if rebuilt:
            progress_rebuild(learners=rebuilt, now=now)
        refreshed = progress_refresh(now=now)
        self.stdout.write(
            f"Progress: {len(rebuilt)} learner(s) rebuilt from the review log, "
            f"{refreshed} learner(s) refreshed."
        )
