from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.exports import deck_anki_write
from learning.study.models import Deck


class Command(BaseCommand):
    help = "Export a deck as an Anki package (.apkg): one note per question, stable GUIDs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deck", required=True, help="The deck's name (or its number).")
        parser.add_argument("--course", help="The course's name, when several decks share one.")
        parser.add_argument("--out", required=True, type=Path, help="The .apkg file to write.")

    def handle(self, *args: Any, deck: str, course: str | None, out: Path, **options: Any) -> None:
        decks = Deck.objects.select_related("course", "owner")
        found = list(decks.filter(pk=int(deck))) if deck.isdigit() else []
        found = found or list(decks.filter(name=deck))
        if course:
            found = [d for d in found if d.course and d.course.name == course]
        if not found:
            raise CommandError(
                f"No deck is named {deck!r}" + (f" in {course!r}." if course else ".")
            )
        if len(found) > 1:
            listed = "\n".join(
                f"  {d.pk}: {d.name} ({d.course.name if d.course else f'own deck of {d.owner}'})"
                for d in found
            )
            raise CommandError(
                f"{len(found)} decks are named {deck!r}; give --course or the deck's number:\n"
                + listed
            )
        if out.suffix != ".apkg":
            raise CommandError("The file should end in .apkg, as Anki expects.")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a folder.")
        notes = deck_anki_write(found[0], out)
        self.stdout.write(f"Wrote {notes} notes of {found[0].name} to {out}.")
