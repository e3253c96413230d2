from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from learning.content.factbase import FactBaseError, read_factbase
from learning.study.regeneration import factbase_import


class Command(BaseCommand):
    help = (
        "Import a fact base (the format of fixtures/factbase/), all or nothing, and "
        "regenerate the questions of what changed, keeping learners' progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="Folder of fact base YAML files.")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        if not Path(directory).is_dir():
            raise CommandError(f"{directory} is not a folder of fact base files.")
        try:
            factbase = read_factbase(directory)
        except FactBaseError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        loaded, regenerated = factbase_import(factbase=factbase, now=timezone.now())
        for line in [*loaded.lines(), *regenerated.lines()]:
            self.stdout.write(f"  {line}")
        if not (loaded.changed or regenerated.changed):
            self.stdout.write("Nothing changed: the database already matched the files.")
