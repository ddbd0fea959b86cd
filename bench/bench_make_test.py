"""``make test`` in two clones, one after the other in one run: wall time, CPU time and where the time goes.

    .venv/bin/python bench/bench_make_test.py --before /work/clone-at-old-commit --after .
    .venv/bin/python bench/bench_make_test.py --after . --rounds 1      # one side only: the profile

Each round runs ``make test`` in each clone in turn (before, after; the next round after, before), with
``PYTEST_ADDOPTS=--durations=0`` so pytest prints every test's setup, call and teardown time. Printed
per run: wall seconds, CPU seconds (user + sys of make and every process it waited for), the load
average before and after (``uptime``), test time per suite (self-tests, backend) and per file, the
15 slowest tests, the number of tests passed; then the ratio after / before of wall and CPU. The
machine's load moves under a run: compare CPU and the sums of test time, not wall alone.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DURATION = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)$")
PASSED = re.compile(r"(\d+) passed")


@dataclass
class Run:
    """One ``make test``: its clone, exit code, wall and CPU seconds, load averages and test times."""

    clone: Path
    returncode: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    load: tuple[str, str] = ("", "")
    passed: list[int] = field(default_factory=list)
    tests: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def suite(self, name: str) -> float:
        return sum(t for test, t in self.tests.items() if test.startswith("tests/self/") == (name == "self"))

    def files(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for test, seconds in self.tests.items():
            out[test.split("::")[0]] += seconds
        return out


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip().split("load average:")[-1].strip()


def make_test(clone: Path, log: Path) -> Run:
    """``make test`` in ``clone``, its output into ``log``; the figures of it."""
    run = Run(clone)
    env = {**os.environ, "PYTEST_ADDOPTS": "--durations=0"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = load_average()
    start = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        run.returncode = subprocess.run(["make", "test"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    run.wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run.load = (load0, load_average())
    backend = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("cd backend && "):
            backend = True
        match = DURATION.match(line.strip())
        if match:
            test = match.group(3) if not backend else f"backend/{match.group(3)}"
            run.tests[test] += float(match.group(1))
        if line.startswith("=") and "passed" in line and " in " in line:
            found = PASSED.search(line)
            if found:
                run.passed.append(int(found.group(1)))
    return run


def show(label: str, run: Run) -> None:
    print(f"\n{label}: {run.clone}  exit {run.returncode}  passed {run.passed}")
    print(f"  wall {run.wall:.1f} s   CPU {run.cpu:.1f} s (user+sys)   load {run.load[0]} -> {run.load[1]}")
    print(f"  test time: self-tests {run.suite('self'):.1f} s, backend {run.suite('backend'):.1f} s")
    for name, seconds in sorted(run.files().items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {seconds:7.1f} s  {name}")
    print("  slowest tests (setup + call + teardown):")
    for name, seconds in sorted(run.tests.items(), key=lambda kv: -kv[1])[:15]:
        print(f"    {seconds:7.1f} s  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="a clone at the commit to compare against")
    parser.add_argument("--after", type=Path, required=True, help="the clone with the changes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--logs", type=Path, default=Path("/tmp"), help="where each run's output goes")
    args = parser.parse_args()
    sides = [("before", args.before), ("after", args.after)] if args.before else [("after", args.after)]
    results: dict[str, list[Run]] = defaultdict(list)
    for round_ in range(args.rounds):
        for label, clone in sides if round_ % 2 == 0 else list(reversed(sides)):
            log = args.logs / f"make-test-{label}-{round_}.log"
            run = make_test(clone.resolve(), log)
            results[label].append(run)
            show(f"{label} round {round_ + 1} (log {log})", run)
    if args.before:
        for i, (old, new) in enumerate(zip(results["before"], results["after"], strict=True)):
            print(f"\nround {i + 1}: after / before  wall {new.wall / old.wall:.2f}  CPU {new.cpu / old.cpu:.2f}  "
                  f"self-test time {new.suite('self') / old.suite('self'):.2f}")
    return max(r.returncode for runs in results.values() for r in runs)


if __name__ == "__main__":
    sys.exit(main())
