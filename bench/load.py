"""The load test: gunicorn on loopback, simulated learners studying at once.

`python -m bench.load --database URL [--learners 50] [--seconds 60]` prepares
the database (fact base, bank, learners), starts gunicorn with two workers
and the production settings, and runs two phases of the same length with the
same learners: every learner loading the floor page as fast as it can, then
every learner studying (check the answer, rate it, next card). It prints one
JSON object on its last line: requests per second, p50/p95/p99 latency,
errors, and whether the reviews in the database are exactly the answers the
learners were told were recorded.

The generator runs on the same machine as the server, so its own CPU is measured
(its share of a core in each phase) and the server's too (gunicorn and, on
PostgreSQL, the backends of this database, read from /proc): requests per server
CPU second compare the two phases whatever the generator and the machine's other
users took. `--pin` puts the generator on a CPU of its own and gunicorn on the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-only-secret-key-" + "y" * 40
# The answer form's token: the study page also carries the undo form's.
TOKEN = re.compile(r'<form[^>]*data-answer.*?name="token" value="([^"]+)"', re.S)
RATE_TOKEN = re.compile(r'<form class="rate".*?name="token" value="([^"]+)"', re.S)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=SECRET_KEY,
        SECURE_SSL_REDIRECT="0",
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recorded: int = 0  # answers the pages said were recorded

    def summary(self, seconds: float) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]

        def at(share: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

        return {
            "requests": len(self.latencies),
            "requests/s": round(len(self.latencies) / seconds, 1),
            "p50 ms": at(0.50),
            "p95 ms": at(0.95),
            "p99 ms": at(0.99),
            "errors": len(self.errors),
            "first errors": self.errors[:3],
        }


class Browser:
    """One learner's browser: cookies, and HTTP/1.1 requests over loopback."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}

    async def request(
        self, method: str, path: str, form: dict[str, Any] | None = None, *, htmx: bool = False
    ) -> tuple[int, str]:
        body = urlencode(form or {}, doseq=True).encode()
        headers = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Connection: close",
            "User-Agent: spinequiz-bench",
        ]
        if self.cookies:
            headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if htmx:
            headers.append("HX-Request: true")
        if method == "POST":
            headers += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"X-CSRFToken: {self.cookies.get('csrftoken', '')}",
                f"Referer: http://127.0.0.1:{self.port}/",
            ]
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), timeout=60)
            writer.close()
        except (OSError, TimeoutError) as error:
            self.tally.errors.append(f"{method} {path}: {error!r}")
            return 0, ""
        self.tally.latencies.append(time.perf_counter() - started)
        head, _, text = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                key, _, rest = value.strip().partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if status >= 400:
            self.tally.errors.append(f"{method} {path}: HTTP {status}")
        return status, text.decode("utf-8", "replace")

    async def log_in(self, username: str, password: str) -> None:
        _, page = await self.request("GET", "/accounts/login/")
        csrf = CSRF.search(page).group(1)
        status, _ = await self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": csrf, "username": username, "password": password},
        )
        if status != 302:
            raise RuntimeError(f"{username} could not log in (HTTP {status})")


async def _floor(browser: Browser, until: float) -> None:
    while time.perf_counter() < until:
        await browser.request("GET", "/bench/floor/")


async def _study(browser: Browser, until: float, answers: dict[int, Any], seed: int) -> None:
    """Study as a learner: three in four answers right (rated Good), the rest wrong."""
    from django.core import signing

    from learning.tokens import QuestionToken

    rng = random.Random(seed)
    _, page = await browser.request("GET", "/study/", htmx=True)
    while time.perf_counter() < until:
        match = TOKEN.search(page)
        if not match:
            browser.tally.errors.append("no question on the study page")
            return
        token = match.group(1)
        shown = signing.loads(token, salt=QuestionToken.salt, key=SECRET_KEY)
        question = QuestionToken(*shown).question
        right, wrong = answers[question]
        correct = rng.random() < 0.75 or wrong is None
        form = {"token": token, **(right if correct else wrong)}
        status, feedback = await browser.request("POST", "/study/answer/", form, htmx=True)
        if status != 200:
            return
        if correct:
            rating = RATE_TOKEN.search(feedback)
            status, page = await browser.request(
                "POST", "/study/rate/", {"token": rating.group(1), "rating": "3"}, htmx=True
            )
            if status == 200 and "already recorded" not in page:
                browser.tally.recorded += 1
        else:
            if "already recorded" not in feedback:
                browser.tally.recorded += 1
            _, page = await browser.request("GET", "/study/", htmx=True)


def _answers() -> dict[int, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each active question's right answer, and a wrong one where there is one."""
    from bench.suite import answer_for
    from learning.models import Question

    out = {}
    for question in Question.objects.active():
        right = answer_for(question)
        wrong = None
        if question.kind in ("mcq", "truefalse", "vignette"):
            index = next(i for i, c in enumerate(question.choices) if c not in question.answers)
            wrong = {"choice": str(index)}
        elif question.kind == "typed":
            wrong = {"typed": "certainly not this"}
        out[question.pk] = (right, wrong)
    return out


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[int, float, float] | None:
    """A process's parent, its own CPU seconds and its reaped children's, from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / TICKS
    children = (int(fields[13]) + int(fields[14])) / TICKS
    return int(fields[1]), own, children


class ServerCpu:
    """CPU seconds the server spends: gunicorn's master and workers (workers recycled on
    the way included, through the master's reaped children) and, on PostgreSQL, the
    backends serving this database. The load generator's own CPU is not in it."""

    def __init__(self, master: int, database: str | None) -> None:
        self.master = master
        self.database = f" {database} ".encode() if database else None
        self.first: dict[int, float] = {}  # CPU seconds at start (0 when born since)
        self.last: dict[int, float] = {}  # ... when last seen
        self.workers: set[int] = set()
        self.reaped = 0.0  # the master's reaped children's CPU seconds at start

    def _scan(self) -> tuple[dict[int, float], float]:
        found: dict[int, float] = {}
        reaped = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            figures = _cpu(pid)
            if figures is None:
                continue
            parent, own, children = figures
            if pid == self.master:
                found[pid], reaped = own, children
            elif parent == self.master:
                found[pid] = own
                self.workers.add(pid)
            elif self.database:
                try:
                    command = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if command.startswith(b"postgres: ") and self.database in command:
                    found[pid] = own
        return found, reaped

    def start(self) -> None:
        self.first, self.reaped = self._scan()
        self.last = dict(self.first)

    def sample(self) -> None:
        """Seen now: a backend that closes later keeps what it had spent until now."""
        found, _ = self._scan()
        for pid, seconds in found.items():
            self.first.setdefault(pid, 0.0)
            self.last[pid] = seconds

    def seconds(self) -> float:
        """CPU seconds since start(): what the processes alive now spent since, the
        workers gunicorn reaped meanwhile (their whole life, through the master's
        children, less what they had spent before start()) and the backends that closed
        (until they were last seen)."""
        found, reaped = self._scan()
        total = sum(seconds - self.first.get(pid, 0.0) for pid, seconds in found.items())
        gone = [pid for pid in self.last if pid not in found]
        total += reaped - self.reaped
        total -= sum(self.first[pid] for pid in gone if pid in self.workers)
        total += sum(self.last[pid] - self.first[pid] for pid in gone if pid not in self.workers)
        return round(total, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(database_url: str, learners: int) -> list[str]:
    """Fact base, bank and `learners` fresh learners; returns their usernames."""
    os.environ.update(_environment(database_url))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from bench import data
    from learning.content.factbase import read_factbase
    from learning.content.services import factbase_load
    from learning.study.regeneration import bank_regenerate

    call_command("migrate", verbosity=0)
    factbase_load(factbase=read_factbase(settings.FACTBASE_DIR))
    bank_regenerate(now=timezone.now())
    prefix = f"load{int(time.time())}"
    return [u.username for u in data.users_make(prefix, learners, new_per_day=2000)]


def _serve(database_url: str, port: int, cpus: set[int] | None) -> subprocess.Popen[bytes]:
    """gunicorn with two workers, on `cpus` when given (the load generator has the rest)."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=_environment(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


async def _watch(cpu: ServerCpu, until: float) -> None:
    """Looks at the server's processes twice a second while the phase lasts."""
    while time.perf_counter() < until:
        cpu.sample()
        await asyncio.sleep(0.5)


async def _phase(
    browsers: list[Browser], seconds: float, study: bool, answers: dict[int, Any], cpu: ServerCpu
) -> None:
    until = time.perf_counter() + seconds
    tasks = [
        _study(b, until, answers, n) if study else _floor(b, until) for n, b in enumerate(browsers)
    ]
    await asyncio.gather(*tasks, _watch(cpu, until))


def run(database_url: str, learners: int, seconds: float, pin: bool = False) -> dict[str, Any]:
    usernames = _prepare(database_url, learners)
    from django.db import connection

    from learning.models import ReviewLog

    answers = _answers()
    before = ReviewLog.objects.count()
    port = _free_port()
    every = sorted(os.sched_getaffinity(0))
    pinned = pin and len(every) >= 2
    server = _serve(database_url, port, set(every[:-1]) if pinned else None)
    if pinned:
        # The generator on a CPU of its own: it takes nothing from the server's.
        os.sched_setaffinity(0, {every[-1]})
    database = connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None
    cpu = ServerCpu(server.pid, database)
    results: dict[str, Any] = {}
    try:
        from bench.data import PASSWORD

        async def main() -> None:
            login_tally = Tally()
            browsers = [Browser(port, login_tally) for _ in usernames]
            for browser, name in zip(browsers, usernames, strict=True):
                await browser.log_in(name, PASSWORD)
            for phase, study in (("floor", False), ("study", True)):
                tally = Tally()
                for browser in browsers:
                    browser.tally = tally
                cpu.start()
                generator = time.process_time()
                started = time.perf_counter()
                await _phase(browsers, seconds, study, answers, cpu)
                wall = time.perf_counter() - started
                results[phase] = tally.summary(wall)
                results[phase]["recorded"] = tally.recorded
                results[phase]["generator cpu"] = round((time.process_time() - generator) / wall, 2)
                results[phase]["server cpu s"] = cpu.seconds()

        asyncio.run(main())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    stored = ReviewLog.objects.count() - before
    study = results["study"]
    floor = results["floor"]

    def per_cpu(phase: dict[str, Any]) -> float:
        return round(phase["requests"] / max(phase["server cpu s"], 0.01), 1)

    return {
        "learners": learners,
        "seconds": seconds,
        "floor requests/s": results["floor"]["requests/s"],
        "study requests/s": study["requests/s"],
        "throughput / floor": round(
            study["requests/s"] / max(results["floor"]["requests/s"], 0.1), 2
        ),
        "generator pinned to a CPU of its own": pinned,
        "generator CPU, floor (share of a core)": floor["generator cpu"],
        "generator CPU, study (share of a core)": study["generator cpu"],
        "server CPU s, floor": floor["server cpu s"],
        "server CPU s, study": study["server cpu s"],
        "floor requests per server CPU s": per_cpu(floor),
        "study requests per server CPU s": per_cpu(study),
        "throughput / floor, per server CPU s": round(per_cpu(study) / max(per_cpu(floor), 0.1), 2),
        "study p50 ms": study["p50 ms"],
        "study p95 ms": study["p95 ms"],
        "study p99 ms": study["p99 ms"],
        "floor p50 ms": results["floor"]["p50 ms"],
        "errors": study["errors"] + results["floor"]["errors"],
        "first errors": study["first errors"] or results["floor"]["first errors"],
        "answers recorded (pages)": study["recorded"],
        "reviews stored": stored,
        "no review lost or doubled": stored == study["recorded"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--pin", action="store_true", help="the generator on one CPU, gunicorn on the others"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.database, args.learners, args.seconds, args.pin)))


if __name__ == "__main__":
    main()
