"""`make bench` keeps working: its smoke run, on the database this test run uses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.run import IN_SUITE, OWN_DATABASE

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_benchmarks_run_and_the_load_test_loses_no_review(tmp_path):
    vendor = (
        "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    )
    out = tmp_path / "results.json"
    # On PostgreSQL, a benchmark database named after this run's test database: another
    # checkout's run, or `make bench`, keeps its own.
    env = {**os.environ, "BENCH_PG_DATABASE": f"{settings.DATABASES['default']['NAME']}_bench"}
    # Question generation and the memory model read no database of the run's (the memory
    # model has a SQLite file of its own): the SQLite run checks them, the PostgreSQL
    # run only what runs on PostgreSQL.
    on_postgres = vendor == "postgresql"
    only = ["--only", ",".join([*IN_SUITE, *OWN_DATABASE])] if on_postgres else []
    result = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--smoke",
            "--databases",
            vendor,
            *only,
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads(out.read_text())
    figures = results["databases"][vendor]
    cycle = figures["review cycle"]
    assert cycle["queries identical across sizes"] is True
    assert all(
        row["median / floor"] > 0 and row["queries"] > 0
        for label, row in cycle.items()
        if isinstance(row, dict)
    )
    assert figures["learner dashboard"]
    load = figures["load"]
    assert load["errors"] == 0, load["first errors"]
    assert load["answers recorded (pages)"] > 0
    assert load["no review lost or doubled"] is True
    assert "review cycle" in result.stdout  # the table was printed
    if on_postgres:
        assert "shared" not in results
        return
    # One best answer by construction: fewer, fairer questions than the 2,221 of before.
    assert results["shared"]["generation"]["1x"]["questions"] > 1000
    memory = results["shared"]["memory model"]
    assert memory["optimiser"]["2,000 reviews"]["seconds"] > 0
    exam = memory["exam in 30 days, L1-L2 deck"]
    assert exam["exam plan (target 90%)"]["recall on the day"] >= 0.9
