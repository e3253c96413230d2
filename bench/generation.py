"""Question generation speed: questions per second at 1x, 10x and 100x the fact base.

Pure: no database. `python -m bench.generation [--smoke]` prints one JSON object.
Linear growth shows as a flat rate; the time ratios against 1x are given too
(10 and 100 are linear).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scaling import scaled  # noqa: E402
from learning.content.factbase import read_factbase  # noqa: E402
from learning.content.generation import generate_questions  # noqa: E402


def measure(copies: tuple[int, ...]) -> dict[str, Any]:
    factbase = read_factbase(ROOT / "fixtures" / "factbase")
    results: dict[str, Any] = {}
    base_time = None
    for n in copies:
        facts = scaled(factbase, n) if n > 1 else factbase
        tracemalloc.start()
        started = time.perf_counter()
        bank = generate_questions(facts)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        base_time = base_time or elapsed
        results[f"{n}x"] = {
            "facts": len(facts.facts),
            "questions": len(bank),
            "questions/s": round(len(bank) / elapsed),
            "time / 1x": round(elapsed / base_time, 1),
            "peak MiB": round(peak / 2**20, 1),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    print(json.dumps({"generation": measure((1, 2) if args.smoke else (1, 10, 100))}))


if __name__ == "__main__":
    main()
