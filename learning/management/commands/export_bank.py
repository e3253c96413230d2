import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.content.models import Question, Source
from learning.content.selectors import question_export
from learning.figures.stored import question_drawing


class Command(BaseCommand):
    help = "Write every active question, one JSON object per line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--out", help="File to write (default: standard output).")
        parser.add_argument(
            "--figures",
            action="store_true",
            help="Also write the drawing of each question on a figure beside the --out file, "
            "named as its 'figure' field says.",
        )

    def handle(self, *args: Any, out: str | None, figures: bool = False, **options: Any) -> None:
        if figures and out is None:
            raise CommandError("--figures writes files beside the export: give --out too.")
        sources = {s.pk: s for s in Source.objects.all()}
        questions = (
            Question.objects.active()
            .select_related("topic")
            .prefetch_related(
                "levels",
                "facts__subject",
                "facts__relation",
                "facts__object",
                "facts__citations",
            )
            .order_by("key")
        )
        lines = [
            json.dumps(question_export(q, sources), ensure_ascii=False) + "\n" for q in questions
        ]
        if out is None:
            sys.stdout.writelines(lines)
            return
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {out}: folder {path.parent} does not exist.")
        # Write beside the target and rename, so a failed export leaves no half file.
        partial = path.with_name(path.name + ".partial")
        partial.write_text("".join(lines), encoding="utf-8")
        partial.replace(path)
        self.stderr.write(f"Wrote {len(lines)} questions to {out}.")
        if figures:
            drawn = 0
            for question in questions:
                drawing = question_drawing(question) if question.figure else None
                if drawing is not None:
                    (path.parent / drawing.name).write_text(drawing.svg, encoding="utf-8")
                    drawn += 1
            self.stderr.write(f"Wrote {drawn} figures beside it.")
