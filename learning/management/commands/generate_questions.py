from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from learning.study.regeneration import bank_regenerate


class Command(BaseCommand):
    help = "Generate the question bank from the stored fact base, upserting by question key."

    def handle(self, *args: Any, **options: Any) -> None:
        report = bank_regenerate(now=timezone.now())
        for line in report.lines():
            self.stdout.write(line)
        if not report.changed:
            self.stdout.write("Nothing changed: the bank already matched the fact base.")
