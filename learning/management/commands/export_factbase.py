from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.content.factbase import EXPORT_FILES, write_factbase
from learning.content.selectors import factbase_from_db


class Command(BaseCommand):
    help = "Write the stored fact base as YAML files in the format of fixtures/factbase/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Folder to write (made if missing).")

    def handle(self, *args: Any, out: str, **options: Any) -> None:
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{out} is a file, not a folder.")
        # Every .yaml file of a folder is read back: others would be mixed in.
        ours = {name for name, _, _ in EXPORT_FILES}
        others = sorted(p.name for p in folder.glob("*.yaml") if p.name not in ours)
        if others:
            raise CommandError(
                f"{out} already holds other fact base files ({', '.join(others)}); "
                "export into an empty folder."
            )
        folder.mkdir(parents=True, exist_ok=True)
        factbase = factbase_from_db()
        written = write_factbase(factbase, folder)
        counts = factbase.counts()
        self.stdout.write(
            f"Wrote {counts['facts']} facts about {counts['entities']} entities "
            f"in {len(written)} files to {out}."
        )
