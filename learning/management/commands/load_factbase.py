from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.content.factbase import FactBaseError, read_factbase
from learning.content.services import factbase_load
from learning.figures.data import read_figures


class Command(BaseCommand):
    help = "Load the spine fact base from its YAML files, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            default=str(settings.FACTBASE_DIR),
            help="Folder of fact base YAML files (default: fixtures/factbase).",
        )

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        if not Path(directory).is_dir():
            raise CommandError(f"{directory} is not a folder of fact base files.")
        try:
            factbase = read_factbase(directory)
            # The drawings beside the facts link to them: checked before anything loads.
            figures = read_figures(Path(directory) / "figures", factbase)
        except FactBaseError as exc:
            raise CommandError(f"{exc}\nNothing was loaded.") from exc
        report = factbase_load(factbase=factbase)
        counts = factbase.counts()
        self.stdout.write(
            f"Fact base read: {counts['facts']} facts about {counts['entities']} entities, "
            f"{counts['relations']} relations, {counts['sources']} sources, "
            f"{len(figures)} figures."
        )
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if not report.changed:
            self.stdout.write("Nothing changed: the database already matched the files.")
