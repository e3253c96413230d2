"""A class's reports under load: `class_progress`, a section of `bench.suite`."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.meter import Meter

ROOT = Path(__file__).resolve().parent.parent


def class_progress(smoke: bool) -> dict[str, Any]:
    """A course of 500 learners with a few weeks of study on two assigned decks: its
    class progress page (and its CSV export, and item statistics) against the floor."""
    import random
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from bench import data
    from learning.courses.services import course_create
    from learning.models import Assignment, Deck, Enrolment, Question, Role
    from learning.roles import roles_ensure

    now = timezone.now()
    data.bank_real()
    size = 30 if smoke else 500
    rng = random.Random(7)
    instructor = get_user_model().objects.create_user("bench-instructor", password=data.PASSWORD)
    instructor.groups.add(roles_ensure()[Role.INSTRUCTOR])
    course = course_create(name=f"Spine block, {size} learners", instructor=instructor)
    decks = [
        Deck.objects.create(course=course, name="L1-L2", levels=["L1-L2"]),
        Deck.objects.create(course=course, name="Dermatomes", topics=["dermatome", "myotome"]),
    ]
    for n, deck in enumerate(decks):
        Assignment.objects.create(
            course=course,
            deck=deck,
            due_on=(now + timedelta(days=7 + 7 * n)).date(),
            created_at=now - timedelta(days=10),
        )
    pool = list(Question.objects.in_decks([d.filter for d in decks]).order_by("pk"))
    learners = data.users_make("classmate", size)
    Enrolment.objects.bulk_create(
        Enrolment(course=course, learner=u, joined_at=now) for u in learners
    )
    for learner in learners:
        sample = rng.sample(pool, min(len(pool), rng.randrange(20, 160)))
        data.history_make(learner, sample, reviews_per_card=3, now=now, span_days=20)
    data.statistics_fresh()
    # The reports as the task worker leaves them: stored, then shown as stored.
    from learning.courses.teaching import report_compute

    for kind in ("progress", "items"):
        report_compute(course, kind, timezone.now())
    client = Client()
    client.force_login(instructor)
    meter = Meter(client)
    base = f"/teach/courses/{course.pk}"
    samples = 5 if smoke else 20
    results: dict[str, Any] = {}
    one = learners[0]
    question = pool[0]

    def someone_studies() -> None:
        """One learner reviews a question of the course: the reports are stale."""
        from learning.models import Card
        from learning.study.services import review_record

        card = Card.objects.filter(learner=one, question=question).first()
        review_record(
            learner=one,
            question=question,
            answer=list(question.answers),
            correct=True,
            rating=3,
            expected_count=card.review_count if card else 0,
            duration_ms=4000,
            now=timezone.now(),
            desired_retention=0.9,
        )

    for label, url in (
        ("progress page", f"{base}/progress/"),
        ("CSV export", f"{base}/progress.csv"),
        ("item statistics", f"{base}/items/"),
    ):
        assert client.get(url).status_code == 200, url
        results[f"{label}, {size} learners, as stored"] = meter.measure(
            lambda url=url: client.get(url), samples
        )
        results[f"{label}, {size} learners, after someone studied"] = meter.measure(
            lambda url=url: client.get(url), max(3, samples // 4), prepare=someone_studies
        )
    results[f"a review to a fresh class report, {size} learners, under the task worker"] = (
        report_freshness(client, f"{base}/progress/", course, someone_studies, 2 if smoke else 5)
    )
    return results


def report_freshness(
    client: Any, url: str, course: Any, someone_studies: Callable[[], None], rounds: int
) -> dict[str, Any]:
    """Seconds from a learner's review to the class report counting it, with a task worker
    (`manage.py db_worker`, as `make serve` runs it) beside this process: the review, the
    instructor opening the page (which shows the stored report and asks the worker), and
    the worker computing it."""
    import subprocess

    from django.utils import timezone

    from learning.models import CourseReport

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = []
    try:
        for _ in range(rounds):
            someone_studies()
            reviewed = timezone.now()
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            deadline = start + 120
            while time.perf_counter() < deadline:
                report = CourseReport.objects.get(course=course, kind="progress")
                if report.computed_at and report.computed_at > reviewed:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the worker did not refresh the class report within 2 minutes")
            seconds.append(time.perf_counter() - start)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "median s": round(statistics.median(seconds), 2),
        "max s": round(max(seconds), 2),
        "rounds": rounds,
    }
