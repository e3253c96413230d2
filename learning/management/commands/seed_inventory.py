from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.content.factbase import FactBaseError, read_factbase
from learning.content.inventory import InventoryError, read_inventory, take_inventory


class Command(BaseCommand):
    help = (
        "For every section of the seed articles the inventory covers, count its statements "
        "and how many the fact base models; list any statement left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--factbase", default=str(settings.FACTBASE_DIR), help="The fact base's folder."
        )
        parser.add_argument(
            "--inventory",
            default=str(settings.SEEDS_DIR / "inventory.yaml"),
            help="The inventory of the seeds' statements.",
        )

    def handle(self, *args: Any, factbase: str, inventory: str, **options: Any) -> None:
        try:
            facts = read_factbase(factbase)
            taken = take_inventory(facts, settings.SEEDS_DIR, read_inventory(inventory))
        except (FactBaseError, InventoryError) as exc:
            raise CommandError(str(exc)) from exc
        for line in taken.lines():
            self.stdout.write(line)
        for count in taken.sections:
            for text in count.missing:
                self.stdout.write(f"missing: {count.seed}, {count.section}: {text}")
        for problem in taken.problems:
            self.stdout.write(f"problem: {problem}")
        missing = sum(len(c.missing) for c in taken.sections)
        if missing or taken.problems:
            raise CommandError(
                f"{missing} statement(s) not accounted for, {len(taken.problems)} problem(s)"
            )
