"""SpineQuiz benchmarks: `make bench` (or `python bench/run.py [--smoke]`).

Machines are shared and noisy, so no time here stands alone: every page time
is a ratio against the floor (an authenticated view that renders the base
template and nothing else) measured in the same run, interleaved with it, and
the load test runs the floor under the same load. Each database (SQLite, and
PostgreSQL when one answers at 127.0.0.1:5432) gets a fresh database and its
own processes: `bench/suite.py` for the in-process figures, `bench/load.py`
for gunicorn under 50 simulated learners.

Prints a table and writes bench/results.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://root@127.0.0.1:5432")
# Its own name per checkout or test run (BENCH_PG_DATABASE), so runs side by side do not
# drop each other's database.
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "spinequiz_bench")

IN_SUITE = ("review cycle", "learner dashboard", "class progress", "sign in")
OWN_DATABASE = ("fact save",)
TARGETS = {
    "review cycle": "both requests together: median <= 3 x floor; queries <= 10, the same at every size",
    "learner dashboard": "<= 3 x floor with 200,000 reviews; queries <= 8",
    "class progress": "<= 5 x floor; queries constant",
    "load": "0 errors, 0 lost reviews, throughput >= 0.5 x floor (the load generator's own "
    "CPU measured: its share of a core, and throughput per CPU second of the server)",
    "sign in": "measured (the password hasher's cost; Django's recommended hasher)",
    "fact save": "time flat from 1x to 100x; queries the same",
    "generation": "questions per second flat (time linear in the fact base)",
    "memory model": "a fit well under a minute at 20,000 reviews; the exam plan at or above its target",
}


BENCH_REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")


def _redis() -> str | None:
    """The benchmark's Redis database, emptied, as production would have one; or None."""
    try:
        import redis

        client = redis.Redis.from_url(BENCH_REDIS, socket_connect_timeout=2)
        client.flushdb()
    except Exception as error:  # noqa: BLE001 - any failure means: run without Redis
        print(f"NOTICE: Redis not reachable at {BENCH_REDIS} ({error}); sessions in the database.")
        return None
    return BENCH_REDIS


REDIS_URL = None
# This run's collected static files, in a folder of its own: two runs side by side (the
# two databases' smoke runs of `make test`) collecting into one folder deleted each
# other's files.
STATIC_DIR: Path | None = None


def _python_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL"}}
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    if STATIC_DIR:
        env["STATIC_ROOT"] = str(STATIC_DIR)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-secret-key-" + "z" * 40,
        SECURE_SSL_REDIRECT="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def _postgres_fresh() -> str | None:
    """A new, empty benchmark database on the local server, or None without a server."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            pg.execute(f"CREATE DATABASE {PG_DATABASE}")
    except psycopg.OperationalError as error:
        print(f"NOTICE: PostgreSQL not reachable ({error}); benchmarks on SQLite only.")
        return None
    return f"{PG_SERVER}/{PG_DATABASE}"


def _sqlite_fresh(folder: Path, name: str) -> str:
    path = folder / f"{name}.sqlite3"
    for leftover in folder.glob(f"{name}.sqlite3*"):
        leftover.unlink()
    return f"sqlite:///{path}"


def _run(module: str, database_url: str | None, *args: str) -> dict[str, Any]:
    started = time.perf_counter()
    database = ["--database", database_url] if database_url else []
    result = subprocess.run(
        [sys.executable, "-m", module, *database, *args],
        cwd=ROOT,
        env=_python_env(database_url or "sqlite://:memory:"),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-6000:])
        raise SystemExit(f"{module} failed on {database_url}")
    sys.stderr.write(result.stderr)
    print(f"  {module} done in {time.perf_counter() - started:.0f} s")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _collect_static() -> None:
    assert STATIC_DIR is not None
    env = _python_env(f"sqlite:///{STATIC_DIR.parent}/static.sqlite3")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _flatten(prefix: str, value: Any, rows: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix} · {key}" if prefix else key, inner, rows)
    else:
        rows[prefix] = value


def table(results: dict[str, Any]) -> str:
    """The results as a readable table: one row per figure, one column per database."""
    columns = [db for db in ("sqlite", "postgresql") if db in results["databases"]]
    rows: dict[str, dict[str, Any]] = {}
    for db in columns:
        flat: dict[str, Any] = {}
        _flatten("", results["databases"][db], flat)
        for key, value in flat.items():
            rows.setdefault(key, {})[db] = value
    shared: dict[str, Any] = {}
    _flatten("", results.get("shared", {}), shared)
    width = max(len(k) for k in [*rows, *shared, "figure"])
    lines = [f"{'figure':<{width}}  " + "  ".join(f"{c:>12}" for c in columns)]
    lines.append("-" * len(lines[0]))
    for key, values in rows.items():
        lines.append(f"{key:<{width}}  " + "  ".join(f"{_fmt(values.get(c)):>12}" for c in columns))
    if shared:
        lines.append("")
        for key, value in shared.items():
            lines.append(f"{key:<{width}}  {_fmt(value):>12}")
    lines.append("")
    lines += [f"target, {name}: {text}" for name, text in TARGETS.items()]
    for db, profiles in results.get("profiles", {}).items():
        for label, rows in profiles.items():
            lines += ["", f"profile on {db}, {label} (top functions by cumulative time):", *rows]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, list):
        return "; ".join(map(str, value))[:60] or "-"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it all runs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated sections: review cycle, learner dashboard, class progress, "
        "sign in, fact save, generation, memory model",
    )
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn load test")
    parser.add_argument(
        "--pin-load",
        action="store_true",
        help="load test: the generator on a CPU of its own, gunicorn on the others",
    )
    args = parser.parse_args()
    wanted = args.databases.split(",")
    learners, seconds = (3, 3) if args.smoke else (50, 60)

    global REDIS_URL, STATIC_DIR
    REDIS_URL = _redis()
    folder = Path(tempfile.mkdtemp(prefix="spinequiz-bench-"))
    STATIC_DIR = folder / "static"
    _collect_static()
    results: dict[str, Any] = {"smoke": args.smoke, "redis": bool(REDIS_URL), "databases": {}}
    smoke = ["--smoke"] if args.smoke else []
    # Sections on the suite's shared database, and those that need a database of their own.
    sections = [x for x in args.only.split(",") if x] or [
        *IN_SUITE,
        *OWN_DATABASE,
        "generation",
        "memory model",
    ]
    shared = [x for x in sections if x in IN_SUITE]
    if "generation" in sections:
        print("==> question generation")
        results["shared"] = _run("bench.generation", None, *smoke)
    if "memory model" in sections:
        # Figures of the optimiser and the simulator: the same on any database.
        print("==> memory models and exam plans")
        results.setdefault("shared", {})["memory model"] = _run(
            "bench.memory", _sqlite_fresh(folder, "memory"), *smoke
        )
    for db in wanted:
        fresh = (lambda name: _sqlite_fresh(folder, name)) if db == "sqlite" else None
        if db == "postgresql":
            if _postgres_fresh() is None:
                continue
            fresh = lambda name: _postgres_fresh()  # noqa: E731
        if fresh is None:
            raise SystemExit(f"unknown database {db!r}")
        print(f"==> {db}")
        out: dict[str, Any] = {}
        if shared:
            out = _run("bench.suite", fresh("suite"), *smoke, "--only", ",".join(shared))
            out.pop("database", None)
            # Profiles are lists of lines: printed after the table, not in it.
            for section in out.values():
                if isinstance(section, dict) and "profiles" in section:
                    results.setdefault("profiles", {}).setdefault(db, {}).update(
                        section.pop("profiles")
                    )
        for section in (x for x in sections if x in OWN_DATABASE):
            alone = _run("bench.suite", fresh(section.replace(" ", "")), *smoke, "--only", section)
            out[section] = alone[section]
        if not args.no_load:
            out["load"] = _run(
                "bench.load",
                fresh("load"),
                "--learners",
                str(learners),
                "--seconds",
                str(seconds),
                *(["--pin"] if args.pin_load else []),
            )
        results["databases"][db] = out
        # Written after each database, so that a failure later keeps what was measured.
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
