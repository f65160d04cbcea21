"""The ``planner`` command line: parses arguments and calls the pipeline; nothing more.

Exit codes: 0 success, 1 internal error, 2 bad input, 3 infeasible target (diagnostics.json is
still written), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import FrameType

from planner.errors import InfeasibleTargetError, PlannerError

log = logging.getLogger("planner")


def _version() -> str:
    try:
        return metadata.version("smartpole-planner")
    except metadata.PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="planner", description="多杆合一 5G site planner: scenario → coverage → placement → 报批 outputs")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    p.add_argument("-v", "--verbose", action="store_true", help="print debug logging")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and write every output")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("--out", type=Path, default=None, help="output folder (default runs/<scenario file name>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario key, e.g. --set objective.max_sites=40 (repeatable)")
    val = sub.add_parser("validate", help="check a scenario and its inputs, listing every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return p


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    try:
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_time=False, show_path=verbose, markup=False)
    except ImportError:  # pragma: no cover
        handler = logging.StreamHandler()
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)
    for noisy in ("numba", "fiona", "rasterio", "pyogrio", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from planner.io.outputs import write_plan
    from planner.pipeline import run_scenario

    console = Console(stderr=True, quiet=args.quiet)
    out = args.out or Path("runs") / args.scenario.stem
    with console.status("starting…") as status:
        try:
            plan = run_scenario(args.scenario, overrides=args.overrides, progress=lambda s: status.update(f"{s}…"))
        except InfeasibleTargetError as exc:
            path = _write_diagnostics(out, args, exc)
            print(f"diagnostics: {path}", file=sys.stderr)
            raise
        status.update("writing outputs…")
        files = write_plan(plan, out)
    sol = plan.solution
    if not args.quiet:
        met = int(plan.areas["met"].sum())
        gap = sol.get("gap")
        gap_s = f"{gap:.2%}" if isinstance(gap, float) else "n/a"
        print(f"{len(plan.sites)} sites selected, cost {plan.sites['cost'].sum():.1f} 万元, "
              f"{met}/{len(plan.areas)} area targets met, solver {sol.get('status')} (gap {gap_s})")
        for w in plan.warnings:
            print(f"warning: {w}")
        print(f"report: {files['report']}")
    return 0


def _write_diagnostics(out: Path, args: argparse.Namespace, exc: InfeasibleTargetError) -> Path:
    """Write ``diagnostics.json`` for an infeasible run, atomically replacing ``out``.

    The run completed its analysis, and its result is "infeasible": the output folder
    then holds only the diagnostics (what could not be met and why), never a stale plan.
    """
    import json
    from dataclasses import asdict

    from planner.io.rundir import atomic_dir
    from planner.scenario import load_scenario

    data = {
        "status": "infeasible",
        "exit_code": exc.exit_code,
        "message": str(exc),
        "problems": [asdict(p) for p in exc.problems],
        "diagnostics": exc.diagnostics,
        "scenario_file": str(args.scenario),
        "overrides": list(args.overrides),
        "scenario": load_scenario(args.scenario, args.overrides).to_dict(),
    }
    with atomic_dir(out) as tmp:
        (tmp / "diagnostics.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return Path(out).resolve() / "diagnostics.json"


def _raise_on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGTERM handler: unwind like Ctrl-C so that temporary output is removed."""
    raise KeyboardInterrupt(f"signal {signum}")


def _cmd_validate(args: argparse.Namespace) -> int:
    from planner.pipeline import validate_scenario

    summary = validate_scenario(args.scenario, overrides=args.overrides)
    if not args.quiet:
        print(f"OK: {summary['scenario']}: {summary['candidates']} candidates, {summary['priority_areas']} priority areas, "
              f"grid {summary['grid']} in {summary['crs']}")
        for w in summary["warnings"]:
            print(f"warning: {w}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` console script."""
    args = _parser().parse_args(argv)
    _setup_logging(args.quiet, args.verbose)
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _raise_on_signal)
    except ValueError:  # not in the main thread (e.g. called from a worker)
        previous = None
    try:
        if args.command == "run":
            return _cmd_run(args)
        return _cmd_validate(args)
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        match = re.fullmatch(r"signal (\d+)", str(exc))
        code = 128 + int(match.group(1)) if match else 130
        print("interrupted; no output was written (an earlier run in the output folder is left as it was)", file=sys.stderr)
        return code
    except Exception as exc:
        if args.verbose:
            log.exception("internal error: please report this with the scenario that caused it")
        else:
            first = str(exc).splitlines()[0] if str(exc) else ""
            print(f"internal error: {type(exc).__name__}: {first}\nThis is a bug in the planner, not a problem with your "
                  "inputs: please report it with the scenario (run again with -v for the details).", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
