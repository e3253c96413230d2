"""What saving one fact costs as the fact base grows, for `make bench`.

`fact_save()` loads the spine fact base, and copies of it (`bench.scaling.scaled`),
into the database Django is configured with (it empties it first: run it on a
benchmark database), generates the bank, then saves single facts as the admin does
(the fact and `services.facts_regenerate` in one transaction) and reports the median
time and the SQL query count of each save at each size. `generation()` times the
whole-bank generation at several sizes. Times are also given as ratios to a
baseline measured in the same run (a plain YAML parse of the fixture files), since
machines are shared and noisy.

Run it alone with `python bench/factsave.py [COPIES ...]` (default 1 100: the 100x
fact base takes a few minutes to load).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# A save of each kind, on facts whose neighbourhood is the same in every copy of the
# fact base, and one about a nerve root: the copies all hang off the same few roots,
# so its neighbourhood (and so its cost) grows with the copies, not with the bank.
SAVES = {
    "wording": ("ibuprofen", "drug-class", "class-nsaid"),
    "retire and publish": ("ibuprofen", "dosed-as", "dose-ibuprofen"),
    "wording, nerve-root fact": ("root-l4", "key-muscle", "movement-ankle-dorsiflexion"),
}


def baseline_time() -> float:
    """Median time of a plain YAML parse of the fixture files (the benchmarks' yardstick)."""
    import yaml
    from django.conf import settings

    files = sorted(Path(settings.FACTBASE_DIR).glob("*.yaml"))

    def parse() -> None:
        for path in files:
            yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # noqa: S506

    return _median(parse, 3)


def _median(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generation(copies: tuple[int, ...] = (1, 10, 100)) -> dict[int, float]:
    """Seconds to generate the whole bank from `copies` copies of the spine fact base."""
    from django.conf import settings

    from bench.scaling import scaled
    from learning.content.factbase import read_factbase
    from learning.content.generation import generate_questions

    spine = read_factbase(settings.FACTBASE_DIR)
    out = {}
    for n in copies:
        factbase = scaled(spine, n)
        out[n] = _median(lambda f=factbase: generate_questions(f), 3 if n < 10 else 1)
    return out


def _save(triple: tuple[str, str, str], kind: str, step: int) -> tuple[float, int]:
    """One save as the admin makes it: the fact, then its questions, in one transaction."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from learning.models import Fact
    from learning.study.regeneration import facts_regenerate

    subject, relation, object_ = triple
    # With DEBUG on, Django keeps the last 9000 queries: start from none, or the count
    # of a save after a large load would come out short.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        with transaction.atomic():
            fact = Fact.objects.get(
                subject__key=subject, relation__key=relation, object__key=object_
            )
            if kind.startswith("retire"):
                fact.status = Fact.Status.RETIRED if step % 2 == 0 else Fact.Status.PUBLISHED
            else:
                fact.explanation = f"Edited for the benchmark, take {step}."
            fact.save()
            facts_regenerate(triples=[triple], now=timezone.now())
        elapsed = time.perf_counter() - start
    return elapsed, len(queries)


def fact_save(copies: tuple[int, ...] = (1, 100), samples: int = 6) -> dict[str, Any]:
    """Median time and query count of saving one fact, per kind of save and size."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from bench.scaling import scaled
    from learning.content.factbase import read_factbase
    from learning.content.services import factbase_load
    from learning.models import Fact, Question
    from learning.study.regeneration import bank_regenerate

    spine = read_factbase(settings.FACTBASE_DIR)
    out: dict[str, Any] = {}
    for n in copies:
        call_command("flush", interactive=False, verbosity=0)
        factbase_load(factbase=scaled(spine, n))
        bank_regenerate(now=timezone.now())
        out[f"{n}x"] = {"facts": Fact.objects.count(), "questions": Question.objects.count()}
        for kind, triple in SAVES.items():
            runs = [_save(triple, kind, step) for step in range(samples)]
            # A retirement and a publication alternate: take both in the median.
            out[f"{n}x"][kind] = {
                "seconds": statistics.median(t for t, _ in runs),
                "queries": sorted({q for _, q in runs}),
            }
    return out


def report(baseline: float | None = None, copies: tuple[int, ...] = (1, 100)) -> dict[str, Any]:
    """The figures for bench/run.py: times as ratios to `baseline`, and query counts."""
    baseline = baseline or baseline_time()
    saves = fact_save(copies)
    results: dict[str, Any] = {}
    sizes = [f"{n}x" for n in copies]
    small, large = sizes[0], sizes[-1]
    results[f"fact base at {' / '.join(sizes)}: facts"] = [saves[s]["facts"] for s in sizes]
    results[f"bank at {' / '.join(sizes)}: questions"] = [saves[s]["questions"] for s in sizes]
    for kind in SAVES:
        results[f"save one fact ({kind}), SQL queries at {' / '.join(sizes)}"] = [
            saves[s][kind]["queries"] for s in sizes
        ]
        results[f"save one fact ({kind}), seconds at {' / '.join(sizes)}"] = [
            round(saves[s][kind]["seconds"], 3) for s in sizes
        ]
        results[f"save one fact ({kind}) at {small} / plain YAML parse"] = round(
            saves[small][kind]["seconds"] / baseline, 2
        )
        results[f"save one fact ({kind}), time {large} / {small} (flat = 1)"] = round(
            saves[large][kind]["seconds"] / saves[small][kind]["seconds"], 2
        )
    times = generation(tuple(sorted({1, 10, copies[-1]})))
    for n, seconds in times.items():
        if n != 1:
            results[f"generate whole bank {n}x / 1x (linear = {n})"] = round(seconds / times[1], 1)
    return results


def main(argv: list[str]) -> None:
    import tempfile

    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="spinequiz-factsave-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinequiz.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    copies = tuple(int(a) for a in argv) or (1, 100)
    results = report(copies=copies)
    width = max(len(k) for k in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
