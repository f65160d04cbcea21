"""The ``planner`` command line: parses arguments and calls the library; nothing more.

Subcommands: ``init``, ``validate``, ``run``, ``sweep``, ``compare``, ``report``, ``calibrate``.
Exit codes: 0 success, 1 internal error, 2 bad input (also an output folder the planner may not
replace), 3 infeasible target (diagnostics.json is still written), 4 the machine refused the
outputs (disk full, permission denied, read-only file system, folder cannot be renamed),
130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from planner.errors import InfeasibleTargetError, PlannerError
from planner.io.rundir import check_out_dir, check_out_file, check_writable, input_paths

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger("planner")
T = TypeVar("T")


def _version() -> str:
    try:
        return metadata.version("smartpole-planner")
    except metadata.PackageNotFoundError:
        return "unknown"


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set objective.max_sites=40 (repeatable)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="planner", description="多杆合一 5G site planner: scenario → coverage → placement → 报批 outputs"
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    p.add_argument("-v", "--verbose", action="store_true", help="print debug logging")
    # -q/-v are accepted after the subcommand too (`planner run x.toml -q`); SUPPRESS keeps the global value
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="only print errors")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    ini = sub.add_parser(
        "init", help="write a commented template scenario and sample inputs into a new folder", parents=[common]
    )
    ini.add_argument("folder", type=Path, help="a new or empty folder")
    ini.add_argument("--table", choices=("csv", "xlsx"), default="csv", help="format of the sample candidate table")
    ini.add_argument(
        "--encoding", choices=("utf-8-sig", "utf-8", "gbk"), default="utf-8-sig", help="encoding of the sample CSV"
    )
    ini.add_argument(
        "--coordinates",
        choices=("cgcs2000", "gcj02"),
        default="cgcs2000",
        help="write the sample in GCJ-02 (as 高德/腾讯 exports) and set inputs.coordinates to match",
    )

    val = sub.add_parser("validate", help="check a scenario and its inputs, listing every problem", parents=[common])
    val.add_argument("scenario", type=Path)
    _add_set(val)

    run = sub.add_parser("run", help="run a scenario and write every output", parents=[common])
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("--out", type=Path, default=None, help="output folder (default runs/<scenario file name>)")
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier planner output folder even if files were added to it by hand (they are deleted); "
             "never a folder the planner did not write",
    )
    _add_set(run)

    swp = sub.add_parser(
        "sweep",
        help="run variants of a scenario in parallel; comparison table, Pareto plot, combined report",
        parents=[common],
    )
    swp.add_argument("scenario", type=Path)
    swp.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        required=True,
        metavar="KEY=V1,V2,...",
        help="a key and its values, e.g. --param objective.max_sites=50,100,200 (repeat for a grid)",
    )
    swp.add_argument("--out", type=Path, default=None, help="sweep folder (default runs/<scenario>_sweep)")
    swp.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier planner output folder even if files were added to it by hand (they are deleted); "
             "never a folder the planner did not write",
    )
    swp.add_argument("--jobs", type=int, default=None, help="parallel processes (default min(2, variants))")
    _add_set(swp)

    cmp_ = sub.add_parser(
        "compare", help="compare two run folders: sites added/removed/kept, per-area coverage, map", parents=[common]
    )
    cmp_.add_argument("run_a", type=Path, help="the reference run folder")
    cmp_.add_argument("run_b", type=Path, help="the run folder compared with it")
    cmp_.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for compare.csv/compare_areas.csv/compare.html (default runs/compare_<A>_vs_<B>)",
    )
    cmp_.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier planner output folder even if files were added to it by hand (they are deleted); "
             "never a folder the planner did not write",
    )

    cal = sub.add_parser(
        "calibrate",
        help="fit the path-loss models to drive-test RSRP; writes a radio.calibration file",
        parents=[common],
    )
    cal.add_argument("scenario", type=Path)
    cal.add_argument(
        "--measurements",
        type=Path,
        required=True,
        help="drive-test points: CSV/XLSX (lon, lat or 经度, 纬度; rsrp in dBm; optional site_id) or a GeoPackage",
    )
    cal.add_argument(
        "--out", type=Path, default=Path("calib.json"), help="calibration file to write (default calib.json)"
    )
    _add_set(cal)

    rep = sub.add_parser(
        "report", help="re-render a run's report.html from its saved results (no solving)", parents=[common]
    )
    rep.add_argument("run_dir", type=Path)
    rep.add_argument("--language", choices=("zh", "en"), default=None, help="report language (default: the run's)")
    rep.add_argument(
        "--basemap", choices=("none", "osm", "tianditu", "gaode"), default=None, help="basemap (default: the run's)"
    )
    rep.add_argument(
        "--pdf",
        action="store_true",
        help="also write report.pdf beside it (headless Chromium through Playwright; "
        "A4 text, A3 map and appendix pages, contents with page numbers)",
    )
    rep.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output file (default RUN_DIR/report.html, or RUN_DIR/report_<language>.html when the language changes)",
    )
    return p


#: problems listed per file on the console (the rest counted); the library's exception lists them all
MAX_PER_FILE = 25


def error_text(exc: PlannerError, per_file: int = MAX_PER_FILE) -> str:
    """The console text of an error: several problems grouped by file, each group counted and capped.

    Every listed line still names its file (and row, id, column and fix, as the problem does), so a
    line can be copied alone; a group longer than ``per_file`` ends with the number left out.

    Examples
    --------
    >>> from planner.errors import InputDataError, Problem
    >>> print(error_text(InputDataError([Problem("bad", "a.csv", "row 2"), Problem("worse", "b.csv")])))
    2 problems found in 2 files (all listed; fix them all, then try again):
      a.csv: 1 problem
        1. a.csv: row 2: bad
      b.csv: 1 problem
        2. b.csv: worse
    """
    problems = exc.problems
    if len(problems) <= 1:
        return str(exc)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault(p.source, []).append(i)
    files = sum(1 for src in groups if src)
    where = f" in {files} file{'s' if files != 1 else ''}" if files > 1 else ""
    lines = [f"{len(problems)} problems found{where} (all listed; fix them all, then try again):"]
    for src, idx in groups.items():
        lines.append(f"  {src or 'scenario'}: {len(idx)} problem{'s' if len(idx) != 1 else ''}")
        lines += [f"    {i + 1}. {problems[i]}" for i in idx[:per_file]]
        if len(idx) > per_file:
            lines.append(f"    … and {len(idx) - per_file} more in {src or 'the scenario'}")
    return "\n".join(lines)


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


def _consoles(args: argparse.Namespace) -> tuple[Console, Console]:
    """(stdout console for results, stderr console for progress)."""
    from rich.console import Console

    # a pipe or a log file gets 140 columns unless COLUMNS says otherwise (a terminal: its own width)
    out = Console(
        quiet=args.quiet, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140, highlight=False
    )
    err = Console(stderr=True, quiet=args.quiet)
    return out, err


# ----------------------------------------------------------------------------- commands


def _cmd_init(args: argparse.Namespace) -> int:
    from planner.workflow.scaffold import init_project

    files = init_project(args.folder, table=args.table, encoding=args.encoding, coordinates=args.coordinates)
    if not args.quiet:
        print(
            f"wrote {files['scenario']} and sample inputs: "
            f"{', '.join(p.name for k, p in files.items() if k != 'scenario')}"
        )
        scenario, out = _shell_word(files["scenario"]), _shell_word(f"runs/{args.folder.name}")
        print(f"next: planner validate {scenario}  then  planner run {scenario} --out {out}")
    return 0


def _shell_word(value: object) -> str:
    """``value`` quoted for pasting into this system's shell: a folder named ``my area`` or ``$(…)`` stays one word."""
    text = str(value)
    if os.name == "nt":
        return f'"{text}"' if re.search(r'[\s&|<>^()"%!]', text) else text
    import shlex

    return shlex.quote(text)


def _cmd_validate(args: argparse.Namespace) -> int:
    from planner.pipeline import validate_scenario

    summary = validate_scenario(args.scenario, overrides=args.overrides)
    if not args.quiet:
        print(
            f"OK: {summary['scenario']}: {summary['candidates']} candidates, {summary['priority_areas']} priority "
            "areas, "
            f"grid {summary['grid']} in {summary['crs']}"
        )
        for w in summary["warnings"]:
            print(f"warning: {w}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from planner.pipeline import run_and_write
    from planner.present.i18n import solver_outcome
    from planner.scenario import load_scenario
    from planner.workflow.progress import StageProgress

    _, err = _consoles(args)
    scenario = load_scenario(args.scenario, args.overrides)
    out = args.out or Path("runs") / args.scenario.stem
    check_out_dir(
        out, protect=input_paths(scenario), force=args.force
    )  # before computing: never a folder the planner did not write
    check_writable(out)  # and not after the solve on a read-only disk
    held = WarningsHeld()  # the run's warnings are printed once, in the summary (the library also logs them)
    with held, StageProgress(err, scenario.solver.time_limit_s, work_limit=scenario.solver.work_limit) as progress:
        try:
            plan, files = run_and_write(scenario, out, progress=progress, compute=_interruptible, force=args.force)
        except InfeasibleTargetError:
            print(f"diagnostics: {Path(out).resolve() / 'diagnostics.json'}", file=sys.stderr)
            raise
        except BaseException:
            held.flush(sys.stderr, args.quiet)  # logged before the failure: still shown, once
            raise
    sol = plan.solution
    if not args.quiet:
        met = int(plan.areas["met"].sum())
        print(
            f"{len(plan.sites)} sites selected, cost {plan.sites['cost'].sum():.1f} 万元, "
            f"{met}/{len(plan.areas)} area targets met, solver {solver_outcome(sol.get('status'), sol.get('gap'))}"
        )
        for w in dict.fromkeys([*held.messages, *plan.warnings]):  # each distinct warning once, in order
            print(f"warning: {w}")
        print(f"report: {files['report']}")
    return 0


class WarningsHeld(logging.Filter):
    """Holds back the ``planner`` loggers' WARNING records while a run computes, so that the CLI prints
    each warning once (the pipeline logs every run warning, and the run summary lists them).

    Use as a context manager; :attr:`messages` keeps the held messages in order, without repeats.
    Errors and other levels pass through unchanged.
    """

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        """False (held) for a WARNING of the planner's loggers, True for anything else."""
        if record.levelno == logging.WARNING and (record.name == "planner" or record.name.startswith("planner.")):
            message = record.getMessage()
            if message not in self.messages:
                self.messages.append(message)
            return False
        return True

    def __enter__(self) -> WarningsHeld:
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)

    def flush(self, stream: Any, quiet: bool) -> None:
        """Print the held warnings (a run that failed after them) and forget them."""
        if not quiet:
            for message in self.messages:
                print(f"warning: {message}", file=stream)
        self.messages.clear()


#: name of the thread that computes a run (see :func:`_interruptible`)
WORKER_NAME = "planner-run"
#: completion flags of the computations :func:`_interruptible` started (a set flag: the worker returned)
_COMPUTING: list[threading.Event] = []


#: seconds the main thread waits, after a signal, for the solvers to return (then it exits anyway)
STOP_WAIT_S = 2.0


def _interruptible(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` in a worker thread while the main thread waits, so Ctrl-C/SIGTERM act at once.

    Python runs signal handlers only in the main thread between bytecodes; a solver deep in
    native code (CP-SAT) would otherwise delay the interrupt until its time limit. On a signal
    the main thread asks the running solvers to stop through their own interrupts
    (:func:`planner._stop.request_stop`: CP-SAT ``stop_search``, SCIP ``InterruptSolve``) and
    waits up to :data:`STOP_WAIT_S` for the worker to return, so that the process never exits
    while a native solver thread is still running. The worker writes nothing (outputs are
    written afterwards, atomically, by the main thread). A stage without an interrupt of its own
    (HiGHS inside scipy, a numba kernel) that is still running after the wait is abandoned:
    :func:`main` then ends the process with ``os._exit``, which runs no C++ destructors.
    """
    from planner import _stop

    box: dict[str, Any] = {}

    done = threading.Event()  # not Thread.is_alive(): after a join interrupted by a signal it can say False
    # while the thread still runs (CPython 3.11), and the process then exits under a running solver

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread, which re-raises it)
            box["error"] = exc
        finally:
            done.set()

    progress = kwargs.get("progress")
    if callable(progress):  # each stage boundary is a stop point too (planner._stop.check)

        def checked(*a: Any, **k: Any) -> Any:
            _stop.check()
            return progress(*a, **k)

        kwargs["progress"] = checked
    _stop.reset()
    worker = threading.Thread(target=target, name=WORKER_NAME, daemon=True)
    _COMPUTING.append(done)
    worker.start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        deadline = time.monotonic() + STOP_WAIT_S
        while not done.is_set() and time.monotonic() < deadline:
            _stop.request_stop()  # again each time: reaches a solver that registered after the first call
            done.wait(0.05)
        raise
    _COMPUTING.remove(done)
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


#: signals received by this process (the first one decides the exit code)
_RECEIVED: list[int] = []


def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return fn(*args, **kwargs)


def _raise_on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM handler: unwind as ``KeyboardInterrupt("signal N")`` so that cleanup runs (exit code 128 + N).

    Only the first signal raises: a second one (Ctrl-C pressed again) must not break the cleanup
    of the first; the exit comes within :data:`STOP_WAIT_S` anyway.
    """
    _RECEIVED.append(signum)
    if len(_RECEIVED) == 1:
        raise KeyboardInterrupt(f"signal {signum}")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from planner.workflow.progress import SweepProgressBar
    from planner.workflow.sweeps import sweep
    from planner.workflow.tables import print_sweep

    out_c, err = _consoles(args)
    out = args.out or Path("runs") / f"{args.scenario.stem}_sweep"
    check_out_dir(out, protect=[args.scenario], force=args.force)
    check_writable(out)
    n_variants = 1
    for item in args.params:
        n_variants *= max(1, len(item.partition("=")[2].split(",")))
    # one job runs the variants in this process (CP-SAT inside): compute in a worker thread so that a
    # signal stops the solver (planner._stop); parallel jobs wait here and terminate their processes
    inline = args.jobs == 1 or n_variants == 1
    with SweepProgressBar(err) as progress:
        result = (_interruptible if inline else _call)(
            sweep, args.scenario, args.params, overrides=args.overrides, out_dir=out, jobs=args.jobs, progress=progress
        )
    print_sweep(out_c, result)
    if not args.quiet:
        print(f"report: {out.resolve() / 'report.html'}")
    return result.exit_code


def _cmd_compare(args: argparse.Namespace) -> int:
    from planner.workflow.compare import compare_runs
    from planner.workflow.tables import print_comparison

    out_c, _ = _consoles(args)
    out = args.out or Path("runs") / f"compare_{args.run_a.resolve().name}_vs_{args.run_b.resolve().name}"
    check_out_dir(out, protect=[args.run_a, args.run_b], force=args.force)
    check_writable(out)
    result = compare_runs(args.run_a, args.run_b, out_dir=out)
    print_comparison(out_c, result)
    if not args.quiet:
        print(f"map: {out.resolve() / 'compare.html'}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from planner.stages.outputs import rerender_report

    if args.out is not None:  # never a file the planner did not write, nor a folder
        check_out_file(args.out)
    path = rerender_report(args.run_dir, language=args.language, basemap=args.basemap, out=args.out, pdf=args.pdf)
    if not args.quiet:
        print(f"report: {path}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from planner.radio.calibration import write_calibration
    from planner.scenario import load_scenario
    from planner.stages.calibrate import calibrate

    out, _ = _consoles(args)
    result = calibrate(load_scenario(args.scenario, args.overrides), args.measurements)
    path = write_calibration(result, args.out)
    from planner.workflow.tables import compact_table

    table = compact_table(f"calibration: {result.measurements}, {result.band}, bins {result.bin_m:.1f} m (40 λ)")
    for col in ("class", "model", "bins", "offset dB", "ME dB", "σ dB", "RMSE dB", "RMSE cal. dB", "slope dB/dec"):
        text = col in ("class", "model")  # figures never wrap; 80 columns hold them (compact_table)
        table.add_column(col, justify="left" if text else "right", no_wrap=not text, overflow="fold")
    for f in result.fits.values():
        table.add_row(
            f.site_class,
            f.model,
            str(f.n_bins),
            f"{f.offset_db:+.2f}",
            f"{f.me_db:+.2f}",
            f"{f.sigma_db:.2f}",
            f"{f.rmse_db:.2f}",
            f"{f.rmse_calibrated_db:.2f}",
            f"{f.slope_db_per_decade:+.2f}",
        )
    out.print(table)
    out.print(f'wrote {path}; use it with radio.calibration = "{path.name}"')
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "calibrate": _cmd_calibrate,
    "init": _cmd_init,
    "validate": _cmd_validate,
    "run": _cmd_run,
    "sweep": _cmd_sweep,
    "compare": _cmd_compare,
    "report": _cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` console script."""
    args = _parser().parse_args(argv)  # a signal before the handlers below: planner._stop.exit_on_signal_while_starting
    _setup_logging(args.quiet, args.verbose)
    if not args.verbose:  # GDAL's own "ERROR 1: ..." lines repeat what the planner reports once (disk full: four lines)
        os.environ.setdefault("CPL_LOG", os.devnull)
    _RECEIVED.clear()
    _COMPUTING.clear()
    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a background job may have inherited it ignored
        try:
            previous[signum] = signal.signal(signum, _raise_on_signal)
        except ValueError:  # not in the main thread (e.g. called from a worker)
            break
    try:
        return COMMANDS[args.command](args)
    except PlannerError as exc:
        print(f"error: {error_text(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        match = re.fullmatch(r"signal (\d+)", str(exc))
        code = 128 + (_RECEIVED[0] if _RECEIVED else int(match.group(1)) if match else signal.SIGINT)
        log.debug("interrupted (%r; signals received: %s)", exc, _RECEIVED)
        print(
            "interrupted; no output was written (an earlier run in the output folder is left as it was)",
            file=sys.stderr,
        )
        if any(not done.is_set() for done in _COMPUTING):
            # a stage without an interrupt of its own is still running in native code (see
            # _interruptible): end now, without the C++ static destructors a normal exit would run
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except Exception as exc:
        from planner.io.rundir import as_environment_error

        env = as_environment_error(exc)  # disk full, permission denied, read-only: not a bug
        if env is not None:
            print(f"error: {env}", file=sys.stderr)
            return env.exit_code
        if args.verbose:
            log.exception("internal error: please report this with the scenario that caused it")
        else:
            first = str(exc).splitlines()[0] if str(exc) else ""
            print(
                f"internal error: {type(exc).__name__}: {first}\nThis is a bug in the planner, not a problem with your "
                "inputs: please report it with the scenario (run again with -v for the details).",
                file=sys.stderr,
            )
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
