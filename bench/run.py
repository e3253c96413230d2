"""SpineQuiz benchmarks: `make bench`.

Machines are shared and noisy, so every time here is reported beside a
baseline measured in the same run, and the figures that matter are ratios:

- checking the fact base, against plain YAML parsing of the same files;
- generating the bank at 10x the fact base, against 1x (linear is 10);
- regenerating an unchanged bank, against the first generation;
- one answer + next card for a learner, at 10x the bank against 1x (flat is 1),
  and its SQL query count at both sizes;
- saving one fact in the admin's way, at 1x and 100x the fact base, and the
  whole-bank generation at 1x, 10x and 100x (bench/factsave.py).

Results are printed and written to bench/out/latest.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="spinequiz-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinequiz.settings")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scaling import scaled  # noqa: E402
from learning.factbase import read_factbase  # noqa: E402
from learning.generation import generate_questions  # noqa: E402
from learning.services import bank_regenerate, factbase_load  # noqa: E402


def timed(function, *, repeat: int = 3) -> float:
    """Median wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(function) -> float:
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def answer_and_next(client: Client, samples: int = 15) -> tuple[float, int]:
    """Median time and query count of rating a right answer and getting the next card."""
    import re

    from django.core import signing

    from learning.models import Question

    times, queries = [], []
    for _ in range(samples):
        page = client.get("/study/").content.decode()
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        question = Question.objects.get(
            pk=signing.loads(token, salt="spinequiz.study.question")["q"]
        )
        data = {"token": token}
        choices = list(question.choices)
        if question.kind == "typed":
            data["typed"] = question.answers[0]
        elif question.kind == "order":
            for i, item in enumerate(choices):
                data[f"place_{i}"] = str(list(question.answers).index(item) + 1)
        elif question.kind == "multi":
            data["choice"] = [str(i) for i, c in enumerate(choices) if c in question.answers]
        else:
            data["choice"] = str(choices.index(question.answers[0]))
        page = client.post("/study/answer/", data, headers={"HX-Request": "true"}).content
        rating = re.search(
            r'<form class="rate".*?name="token" value="([^"]+)"', page.decode(), re.S
        ).group(1)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            client.post(
                "/study/rate/", {"token": rating, "rating": "3"}, headers={"HX-Request": "true"}
            )
            times.append(time.perf_counter() - start)
        queries.append(len(captured))
    return statistics.median(times), max(queries)


def main() -> None:
    results: dict[str, object] = {}
    files = sorted(Path(settings.FACTBASE_DIR).glob("*.yaml"))

    def plain_yaml() -> None:
        for path in files:
            yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # noqa: S506

    baseline = timed(plain_yaml)
    checked = timed(lambda: read_factbase(settings.FACTBASE_DIR))
    factbase = read_factbase(settings.FACTBASE_DIR)
    ten = scaled(factbase, 10)
    one_bank = generate_questions(factbase)
    gen_one = timed(lambda: generate_questions(factbase))
    gen_ten = timed(lambda: generate_questions(ten), repeat=1)
    results["fact base"] = {
        "facts": len(factbase.facts),
        "entities": len(factbase.entities),
        "questions": len(one_bank),
    }
    results["read and check / plain YAML parse"] = round(checked / baseline, 2)
    results["generate 1x / plain YAML parse"] = round(gen_one / baseline, 2)
    results["generate 10x / generate 1x (linear = 10)"] = round(gen_ten / gen_one, 2)
    results["peak memory MiB, generate 1x"] = round(
        peak_memory(lambda: generate_questions(factbase)), 1
    )
    results["peak memory MiB, generate 10x"] = round(
        peak_memory(lambda: generate_questions(ten)), 1
    )

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    factbase_load(factbase=factbase)
    load_time = time.perf_counter() - start
    start = time.perf_counter()
    bank_regenerate(now=timezone.now())
    first = time.perf_counter() - start
    again = timed(lambda: bank_regenerate(now=timezone.now()), repeat=1)
    results["load fact base into SQLite / plain YAML parse"] = round(load_time / baseline, 2)
    results["regenerate unchanged bank / first generation"] = round(again / first, 2)

    with open(os.devnull, "w") as quiet:
        call_command("create_demo", "--force", "--history-days", "14", stdout=quiet)
    client = Client()
    client.login(username="learner", password="learn-the-spine-L2")
    time_one, queries_one = answer_and_next(client)
    factbase_load(factbase=ten)
    bank_regenerate(now=timezone.now())
    time_ten, queries_ten = answer_and_next(client)
    from learning.models import Question

    results["bank questions at 10x"] = Question.objects.active().count()
    results["answer + next card, SQL queries at 1x"] = queries_one
    results["answer + next card, SQL queries at 10x"] = queries_ten
    results["answer + next card time, 10x / 1x (flat = 1)"] = round(time_ten / time_one, 2)
    results["answer + next card at 1x / plain YAML parse"] = round(time_one / baseline, 3)

    from bench import factsave

    results.update(factsave.report(baseline))

    width = max(len(k) for k in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out / 'latest.json'}")


if __name__ == "__main__":
    main()
