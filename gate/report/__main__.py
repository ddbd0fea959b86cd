"""``python -m gate.report [RUN_DIR]``: the report of a run (default: the newest under var/runs)."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from gate.report import browser
from gate.report.allure_report import ReportError
from gate.report.build import build_report, default_run_dir
from gate.report.run_view import DEFAULT_RUNS_DIR


def _png(signoff: Path) -> str:
    """Render the sign-off page to PNG (for the ticket or the closing note); a missing chromium is not an error."""
    if not browser.available():
        return "Sign-off PNG: not rendered (no chromium recorded by the bootstrap: run `make report-tools`)\n"
    png = signoff.with_suffix(".png")
    height = browser.screenshot_whole_page(signoff, png)
    return f"Sign-off PNG: {png} (the whole page, 1100×{height})\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gate.report", description=__doc__)
    parser.add_argument("run_dir", nargs="?", type=Path, help="run directory (default: $RUN_DIR or the newest var/runs/*/)")
    parser.add_argument("--runs-dir", type=Path, help="where earlier runs live, for history (default: RUN_DIR's parent)")
    parser.add_argument("--no-allure", action="store_true", help="only the sign-off page (no Allure report)")
    parser.add_argument("--png", action="store_true", help="also render RUN_DIR/signoff.png with headless chromium")
    args = parser.parse_args(argv)
    # the CLI edge: the report needs no target's settings, only where the runs are
    runs_dir = Path(os.environ.get("RUNS_DIR") or DEFAULT_RUNS_DIR)
    run_dir = args.run_dir or default_run_dir(Path(os.environ["RUN_DIR"]) if os.environ.get("RUN_DIR") else None,
                                              runs_dir)
    if run_dir is None or not (run_dir / "summary.json").is_file():
        where = f"{run_dir} has no summary.json" if run_dir else "no run directory under var/runs/ (or RUN_DIR)"
        sys.stderr.write(f"no run to report: {where}\n")
        return 2
    # the PNG is rendered from the finished sign-off page while Allure generates (chromium and node side by side)
    rendering: dict[str, str | BaseException] = {}

    def render(signoff: Path) -> None:
        try:
            rendering["line"] = _png(signoff)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the main thread
            rendering["error"] = exc

    threads: list[threading.Thread] = []

    def start_png(signoff: Path) -> None:
        threads.append(threading.Thread(target=render, args=(signoff,), name="signoff-png"))
        threads[-1].start()

    try:
        paths = build_report(run_dir, runs_base=args.runs_dir, allure=not args.no_allure, runs_dir=runs_dir,
                             on_signoff=start_png if args.png else None)
    except ReportError as exc:
        for thread in threads:
            thread.join()
        sys.stderr.write(f"report: {exc}\nthe sign-off page was written: {run_dir / 'signoff.html'}\n")
        return 1
    for thread in threads:
        thread.join()
    if isinstance(rendering.get("error"), BaseException):
        raise rendering["error"]  # type: ignore[misc]
    if paths.index:
        sys.stdout.write(f"Allure report: {paths.index}\n")
    sys.stdout.write(f"Sign-off page: {paths.signoff_html}\nSign-off (Markdown): {paths.signoff_md}\n")
    if args.png:
        sys.stdout.write(str(rendering.get("line", "")))
    sys.stdout.write(f"report built in {paths.seconds:.1f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
