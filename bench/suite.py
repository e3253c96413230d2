"""The in-process benchmarks, on one database: `python -m bench.suite --database URL`.

Run by bench/run.py once per database. Every time is measured interleaved with
the floor (an authenticated page rendering only the base template), so that
noise on a shared machine hits both alike, and reported as a ratio to it.
Prints one JSON object on the last line of its output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classes import class_progress  # noqa: E402
from bench.meter import Meter  # noqa: E402


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.pop("DEBUG", None)  # production-like: templates cached, no debug toolbar
    import django

    django.setup()


def answer_for(question: Any) -> dict[str, Any]:
    """The POST fields of the right answer to `question`."""
    choices = list(question.choices)
    if question.kind == "typed":
        return {"typed": question.answers[0]}
    if question.kind == "order":
        return {
            f"place_{i}": str(list(question.answers).index(item) + 1)
            for i, item in enumerate(choices)
        }
    if question.kind == "multi":
        return {"choice": [str(i) for i, c in enumerate(choices) if c in question.answers]}
    return {"choice": str(choices.index(question.answers[0]))}


class Cycle:
    """One review cycle as a learner's browser does it, with htmx: check the answer
    (the feedback comes back), then rate it Good (recorded; the next card comes back).

    Each of the two requests keeps its own times and queries, so that the figures say
    which of them the cycle's time and queries go to."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.page = client.get("/study/").content.decode()
        self.answer: dict[str, Any] = {}
        self.feedback = ""
        self.parts: dict[str, dict[str, list[float]]] = {}

    def prepare(self) -> None:
        """Read the card on the page and look up its right answer (not part of the cycle)."""
        from learning.models import Question
        from learning.tokens import QuestionToken

        token = re.search(
            r'<form[^>]*data-answer.*?name="token" value="([^"]+)"', self.page, re.S
        ).group(1)
        question = Question.objects.get(pk=QuestionToken.load(token).question)
        self.answer = {"token": token, **answer_for(question)}

    def _timed(self, part: str, request: Callable[[], Any]) -> Any:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = request()
            elapsed = time.perf_counter() - start
        figures = self.parts.setdefault(part, {"times": [], "queries": []})
        figures["times"].append(elapsed)
        figures["queries"].append(len(captured))
        return response

    def check(self) -> None:
        """The first request: the answer is checked, the feedback comes back."""
        self.feedback = self.client.post(
            "/study/answer/", self.answer, headers={"HX-Request": "true"}
        ).content.decode()

    def rate(self) -> None:
        """The second request: the rating is recorded, the next card comes back."""
        rating = re.search(
            r'<form class="rate".*?name="token" value="([^"]+)"', self.feedback, re.S
        )
        response = self.client.post(
            "/study/rate/",
            {"token": rating.group(1), "rating": "3"},
            headers={"HX-Request": "true"},
        )
        self.page = response.content.decode()
        assert "data-answer" in self.page, "the next card came back"

    def __call__(self) -> None:
        self._timed(CHECK, self.check)
        self._timed(RATE, self.rate)

    def split(self, floor: float) -> dict[str, Any]:
        """Each request's median over the floor and its most queries."""
        out: dict[str, Any] = {}
        for part, figures in self.parts.items():
            out[f"{part}: median / floor"] = round(statistics.median(figures["times"]) / floor, 2)
            out[f"{part}: queries"] = max(figures["queries"])
        return out


CHECK = "answer check"
RATE = "rating + next question"
PROFILE_ROWS = 30
OWN_ROWS = 12
# The frames every request passes through on its way to the view (the handler and the
# middleware): each one's cumulative time is the whole request's, so they are left out.
WRAPPERS = (
    "django/core/handlers/",
    "django/utils/deprecation.py",
    "django/views/decorators/",
    "whitenoise/middleware.py",
    "django_htmx/middleware.py",
    "simple_history/middleware.py",
    "axes/middleware.py",
    "learning/middleware.py",
    "django/test/",
    "contextlib.py",
    "bench/",
    "cProfile",
)


def _where(filename: str, line: int, function: str) -> str:
    """A profile row's function, named from the package's folder or the project root."""
    if filename.startswith("<") or filename == "~":
        return f"{filename}:{function}"
    parts = Path(filename).parts
    anchor = max((i for i, p in enumerate(parts) if p == "site-packages"), default=-1)
    if anchor >= 0:
        return "/".join(parts[anchor + 1 :]) + f":{line}({function})"
    try:
        return f"{Path(filename).relative_to(ROOT)}:{line}({function})"
    except ValueError:
        return f"{Path(filename).name}:{line}({function})"


def profile_of(
    request: Callable[[], Any], samples: int, prepare: Callable[[], Any] | None = None
) -> list[str]:
    """Where `request` spends its time: the whole request per sample, then its functions
    by cumulative time, then by own time; per request, "cumulative ms, own ms, calls,
    function". The handler's and the middleware's frames, whose cumulative time is the
    whole request's, are left out of the lists."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    total = 0.0
    for _ in range(samples):
        if prepare:
            prepare()
        start = time.perf_counter()
        profiler.enable()
        request()
        profiler.disable()
        total += time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.items():
        where = _where(filename, line, function)
        if where.startswith("~:") or any(w in where for w in WRAPPERS):
            continue
        rows.append((cumulative, own, calls, where))

    def line(row: tuple[float, float, int, str]) -> str:
        cumulative, own, calls, where = row
        return (
            f"{cumulative / samples * 1000:8.2f} ms  own {own / samples * 1000:7.2f} ms  "
            f"{calls / samples:7.1f} calls  {where}"
        )

    by_own = sorted(rows, key=lambda row: row[1], reverse=True)[:OWN_ROWS]
    return [
        f"{total / samples * 1000:8.2f} ms per request under the profiler, {samples} requests",
        *map(line, sorted(rows, reverse=True)[:PROFILE_ROWS]),
        "  by own time:",
        *map(line, by_own),
    ]


def review_cycle(smoke: bool) -> dict[str, Any]:
    """Answer + next card at 100 and 100,000 questions, with 1 and 1,000 learners; each
    request's share, and a profile of each at the largest size."""
    from django.test import Client
    from django.utils import timezone

    from bench import data
    from learning.models import Question

    now = timezone.now()
    sizes = (100, 3_000) if smoke else (100, 100_000)
    crowd = 20 if smoke else 1_000
    samples = 10 if smoke else 60
    learner = data.users_make("cycler", 1, new_per_day=2000)[0]
    client = Client()
    client.force_login(learner)
    meter = Meter(client)
    results: dict[str, Any] = {}
    profiles: dict[str, list[str]] = {}

    def run(label: str, *, profile: bool = False) -> None:
        cycle = Cycle(client)
        for _ in range(3):  # warm the caches and connections
            cycle.prepare()
            cycle()
        data.statistics_fresh()
        cycle.parts.clear()
        results[label] = meter.measure(cycle, samples, cycle.prepare)
        results[label].update(cycle.split(statistics.median(meter.floor_times[-samples:])))
        if profile:
            # The two requests apart: the answer checked, then the rating and next card.
            profiles[f"{CHECK}, {label}"] = profile_of(cycle.check, samples, cycle.prepare)
            profiles[f"{RATE}, {label}"] = profile_of(
                cycle.rate, samples, lambda: (cycle.prepare(), cycle.check())
            )

    data.bank_resize(sizes[0], now=now)
    run(f"{sizes[0]:,} questions, 1 learner")
    data.bank_resize(sizes[1], now=now)
    run(f"{sizes[1]:,} questions, 1 learner")
    others = data.users_make("crowd", crowd - 1)
    pool = list(Question.objects.active()[:400])
    for n, other in enumerate(others):
        data.history_make(
            other, pool[n % 300 : n % 300 + 30], reviews_per_card=3, now=now, span_days=30
        )
    run(f"{sizes[1]:,} questions, {crowd:,} learners", profile=True)
    data.bank_resize(sizes[0], now=now)
    run(f"{sizes[0]:,} questions, {crowd:,} learners")
    counts = {r["queries"] for r in results.values()}
    results["queries identical across sizes"] = len(counts) == 1

    def refused() -> None:
        # The least any two study requests cost: signed in, each answers with a line.
        for url in ("/study/answer/", "/study/rate/"):
            response = client.post(url, {"token": "not a token"}, headers={"HX-Request": "true"})
            assert response.status_code == 400, response.status_code

    results["the least two requests cost (both refused)"] = meter.measure(refused, samples)
    results["profiles"] = profiles
    return results


def learner_dashboard(smoke: bool) -> dict[str, Any]:
    """The progress page of a learner with 200,000 reviews behind them."""
    from django.test import Client
    from django.utils import timezone

    from bench import data
    from learning.models import Question

    now = timezone.now()
    data.bank_resize(2_500, now=now)
    reviews = 2_000 if smoke else 200_000
    cards = 500 if smoke else 2_000
    learner = data.users_make("historian", 1)[0]
    questions = list(Question.objects.active().order_by("position")[:cards])
    written = data.history_make(
        learner, questions, reviews_per_card=reviews // cards, now=now, span_days=730
    )
    data.statistics_fresh()
    client = Client()
    client.force_login(learner)
    client.get("/dashboard/")
    samples = 5 if smoke else 30
    label = f"{written:,} reviews, {cards:,} cards"
    result = Meter(client).measure(lambda: client.get("/dashboard/"), samples)
    return {
        label: result,
        "profiles": {label: profile_of(lambda: client.get("/dashboard/"), samples)},
    }


def sign_in(smoke: bool) -> dict[str, Any]:
    """Signing in and signing up through the pages, with the project's password hashers:
    milliseconds, and over the floor. A learner whose password was hashed with PBKDF2
    (Django's default before) signs in too; their hash is upgraded at that sign-in when
    PBKDF2 is no longer the first hasher."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
    from django.test import Client

    from bench import data

    users = get_user_model()
    samples = 3 if smoke else 10
    first = get_hasher()
    current = users.objects.create_user("signin-current", password=data.PASSWORD)
    older = make_password(data.PASSWORD, hasher="pbkdf2_sha256")
    upgraded = users.objects.bulk_create(
        users(username=f"signin-pbkdf2-{n}", password=older) for n in range(samples)
    )
    watcher = users.objects.create_user("signin-floor", password="x")
    floor_client = Client()
    floor_client.force_login(watcher)
    meter = Meter(floor_client)
    fresh: list[Any] = []

    def sign_in_as(username: str) -> None:
        response = fresh[-1].post(
            "/accounts/login/", {"username": username, "password": data.PASSWORD}
        )
        assert response.status_code == 302, (username, response.status_code)

    pending = list(upgraded)
    signups = iter(range(10**6))

    def sign_up() -> None:
        n = next(signups)
        response = fresh[-1].post(
            "/accounts/signup/",
            {
                "username": f"newcomer-{n}",
                "email": f"newcomer-{n}@example.org",
                "password1": data.PASSWORD,
                "password2": data.PASSWORD,
            },
        )
        assert response.status_code == 302, response.status_code

    def new_browser() -> None:
        fresh.append(Client())

    results: dict[str, Any] = {"first hasher": first.algorithm}
    for label, action in (
        ("sign in", lambda: sign_in_as(current.username)),
        ("sign in, PBKDF2 hash of before", lambda: sign_in_as(pending.pop().username)),
        ("sign up", sign_up),
    ):
        figures = meter.measure(action, samples, prepare=new_browser)
        figures["median ms"] = round(statistics.median(meter.last_times) * 1000, 1)
        results[label] = figures
    hashes = users.objects.filter(pk__in=[u.pk for u in upgraded]).values_list(
        "password", flat=True
    )
    results["PBKDF2 hashes after their sign-in"] = sorted(
        {identify_hasher(h).algorithm for h in hashes}
    )
    return results


def fact_save(smoke: bool) -> dict[str, Any]:
    """Saving one fact as the admin does (the fact and its questions, in one transaction),
    at 1x and 100x the fact base: seconds over the floor, and SQL queries.

    It empties the database to load each size (bench/run.py gives it one of its own),
    so the floor is measured before and after and the mean of the two taken."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.factsave import SAVES
    from bench.factsave import fact_save as measure

    def floor() -> float:
        user = get_user_model().objects.create_user(f"floor-{time.time_ns()}", password="x")
        client = Client()
        client.force_login(user)
        meter = Meter(client)
        for _ in range(15):
            meter.floor()
        return statistics.median(meter.floor_times)

    copies = (1, 2) if smoke else (1, 100)
    before = floor()
    saves = measure(copies, samples=3 if smoke else 6)
    base = (before + floor()) / 2
    small, large = f"{copies[0]}x", f"{copies[-1]}x"
    results: dict[str, Any] = {
        f"{n}x": {"facts": saves[f"{n}x"]["facts"], "questions": saves[f"{n}x"]["questions"]}
        for n in copies
    }
    for kind in SAVES:
        for n in copies:
            size = f"{n}x"
            results[size][f"{kind}: seconds / floor"] = round(
                saves[size][kind]["seconds"] / base, 1
            )
            results[size][f"{kind}: queries"] = max(saves[size][kind]["queries"])
        results[f"{kind}: time {large} / {small} (flat = 1)"] = round(
            saves[large][kind]["seconds"] / saves[small][kind]["seconds"], 2
        )
    results["floor ms"] = round(base * 1000, 2)
    return results


SECTIONS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "review cycle": review_cycle,
    "learner dashboard": learner_dashboard,
    "class progress": class_progress,
    "sign in": sign_in,
    "fact save": fact_save,
}
# Sections that empty the database: bench/run.py runs each on a database of its own.
OWN_DATABASE = {"fact save"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    _setup(args.database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.utils import timezone

    from learning.content.factbase import read_factbase
    from learning.content.services import factbase_load
    from learning.study.regeneration import bank_regenerate

    factbase_load(factbase=read_factbase(settings.FACTBASE_DIR))
    bank_regenerate(now=timezone.now())
    chosen = [s for s in args.only.split(",") if s] or [
        s for s in SECTIONS if s not in OWN_DATABASE
    ]
    out: dict[str, Any] = {"database": connection.vendor}
    for name in chosen:
        started = time.perf_counter()
        out[name] = SECTIONS[name](args.smoke)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
