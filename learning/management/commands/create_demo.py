from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from learning.accounts import email_mark_verified
from learning.demo import demo_course, simulate_history
from learning.models import Role
from learning.roles import role_group
from learning.study.models import ReviewLog

# Demo only: printed on every start, refused on a production settings module.
DEMO_ACCOUNTS = [
    ("learner", "learn-the-spine-L2", Role.LEARNER, False),
    ("instructor", "teach-the-spine-L2", Role.INSTRUCTOR, False),
    ("editor", "edit-the-spine-L2", Role.CONTENT_EDITOR, True),
]


class Command(BaseCommand):
    help = "Create the demo learner, instructor and content editor (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Create demo accounts even when DEBUG is off."
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=28,
            help="Days of simulated study for the demo learner (0 for none).",
        )
        parser.add_argument(
            "--classmates",
            type=int,
            default=12,
            help="Simulated classmates of the demo learner in the demo course.",
        )

    def handle(
        self, *args: Any, force: bool, history_days: int, classmates: int, **options: Any
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo accounts have known passwords; run with DEBUG=1 or --force.")
        groups = {role: role_group(role) for role in Role}
        users = get_user_model()
        self.stdout.write("Demo accounts (development only):")
        for username, password, role, is_staff in DEMO_ACCOUNTS:
            user, _ = users.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = is_staff
            user.email = user.email or f"{username}@example.org"
            user.save()
            # Demo accounts stand for people who confirmed their email long ago.
            email_mark_verified(user, now=timezone.now())
            user.groups.set([groups[role]])
            self.stdout.write(f"  {role.value:15} {username:11} password: {password}")
        learner = users.objects.get(username="learner")
        if history_days and not ReviewLog.objects.filter(learner=learner).exists():
            reviews = simulate_history(learner, days=history_days, now=timezone.now())
            self.stdout.write(
                f"The demo learner has {reviews} reviews over the last {history_days} days."
            )
        course = demo_course(
            instructor=users.objects.get(username="instructor"),
            learner=learner,
            now=timezone.now(),
            classmates=classmates,
        )
        self.stdout.write(
            f"The demo instructor teaches {course.name} ({course.enrolments.count()} learners, "
            f"join code {course.code_display})."
        )
