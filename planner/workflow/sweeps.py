"""Scenario sweeps: many variants of one scenario, a comparison table and a Pareto curve.

``sweep("demo.toml", ["objective.max_sites=50,100,200"])`` runs one variant per value (the
cartesian product over several ``--param``), in parallel processes. When every swept key
leaves the stages up to coverage unchanged (``objective.*``, ``solver.*``, ``report.*``,
``candidates.max_per_type``, ``candidates.min_separation_m``), coverage is computed once
(:func:`planner.pipeline.prepare_scenario`) and only the solve is repeated.

Output folder of a sweep::

    OUT/sweep.csv        one row per variant (UTF-8 with BOM): sites, cost, coverage, solver
    OUT/pareto.png       coverage against cost and against sites, non-dominated variants marked
    OUT/report.html      the combined, self-contained report (table, curve, links)
    OUT/sweep.json       parameters, variants and the table, machine-readable
    OUT/<variant>/       each variant's complete run folder (report.html, plan.gpkg, ...)
"""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.errors import PlannerError, Problem, ScenarioError
from planner.scenario import Scenario, load_scenario, parse_override
from planner.workflow.sweep_result import (
    SweepResult,
    Variant,
    pareto_figure,
    pareto_front,
    plan_metrics,
)

if TYPE_CHECKING:
    from planner.pipeline import Prepared
    from planner.plan import Plan

log = logging.getLogger(__name__)

#: keys (prefixes) that the stages up to coverage never read: variants differing only in
#: these share one coverage computation
SHAREABLE_PREFIXES: tuple[str, ...] = (
    "objective.",
    "solver.",
    "report.",
    "candidates.max_per_type",
    "candidates.min_separation_m",
    "scenario.name",
    "scenario.description",
)
#: swept keys that only matter under a coverage-maximising objective
_CAP_KEYS = ("objective.budget", "objective.max_sites")

NOTE_MAX_COVERAGE = "objective.kind set to max_coverage: a budget or max_sites sweep has no effect under min_cost"

#: callback(event, variant label or "", done, total)
SweepProgress = Callable[[str, str, int, int], None]


def _split_values(text: str) -> list[str]:
    """Split ``a,b,[c,d],"e,f"`` on top-level commas."""
    out, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return [v for v in out if v != ""]


def parse_params(params: Sequence[str]) -> list[Variant]:
    """Expand ``key=v1,v2,...`` items into variants (the cartesian product, in order).

    Parameters
    ----------
    params : sequence of str
        E.g. ``["objective.max_sites=50,100,200", "radio.band=n78,n41"]``.

    Returns
    -------
    list of Variant

    Raises
    ------
    ScenarioError
        If an item has no ``=``, no value, or a key given twice.

    Examples
    --------
    >>> [v.label for v in parse_params(["objective.max_sites=50,100"])]
    ['max_sites=50', 'max_sites=100']
    """
    keys: list[str] = []
    values: list[list[str]] = []
    for item in params:
        path, _ = parse_override(item)
        key = ".".join(path)
        vals = _split_values(item.partition("=")[2])
        if not vals:
            raise ScenarioError(
                Problem(f"--param {item!r} has no values", "--param", fix="write --param section.key=v1,v2,v3")
            )
        if key in keys:
            raise ScenarioError(
                Problem(f"--param {key} is given twice", "--param", fix="list every value in one --param")
            )
        keys.append(key)
        values.append(vals)
    if not keys:
        raise ScenarioError(Problem("nothing to sweep", "--param", fix="give at least one --param section.key=v1,v2"))
    short = [k.rsplit(".", 1)[-1] for k in keys]
    names = [s if short.count(s) == 1 else k for s, k in zip(short, keys, strict=True)]
    out = []
    combos = list(itertools.product(*values))
    width = len(str(len(combos)))
    for i, combo in enumerate(combos, 1):
        label = ", ".join(f"{n}={v}" for n, v in zip(names, combo, strict=True))
        slug = re.sub(r"[^0-9A-Za-z_.-]+", "-", "_".join(f"{n}-{v}" for n, v in zip(names, combo, strict=True))).strip(
            "-"
        )
        out.append(
            Variant(label, tuple(f"{k}={v}" for k, v in zip(keys, combo, strict=True)), f"{i:0{width}d}_{slug[:60]}")
        )
    return out


def shares_preparation(keys: Sequence[str]) -> bool:
    """True when variants differing only in ``keys`` can share one coverage computation.

    ``report.language`` is the exception under ``report.*``: it names the implicit
    rest-of-boundary area while the demand is prepared.
    """
    return all(
        k != "report.language" and any(k == p.rstrip(".") or k.startswith(p) for p in SHAREABLE_PREFIXES) for k in keys
    )


# ----------------------------------------------------------------------------- workers

#: the shared preparation inside a worker process (set once by its initializer; never
#: touched in the parent process, whose inline executor passes the preparation explicitly)
_WORKER_PREPARED: Prepared | None = None


def _init_worker(prep: Prepared | None) -> None:
    """Initializer of a sweep worker process: keep the shared preparation for its tasks.

    The parent reports every variant's warnings (``plan.warnings``) and failures; a worker
    process has no logging configuration, so a :class:`logging.NullHandler` keeps its records
    from reaching :data:`logging.lastResort` (stderr). Levels are left alone.
    """
    global _WORKER_PREPARED
    _WORKER_PREPARED = prep
    logging.getLogger("planner").addHandler(logging.NullHandler())


def _solve_in_worker(
    source: str, base_overrides: tuple[str, ...], overrides: tuple[str, ...]
) -> tuple[Plan | None, str, int, dict[str, Any]]:
    """:func:`_solve_variant` in a worker process, from the preparation its initializer kept."""
    return _solve_variant(_WORKER_PREPARED, source, base_overrides, overrides)


def _solve_variant(
    prep: Prepared | None, source: str, base_overrides: tuple[str, ...], overrides: tuple[str, ...]
) -> tuple[Plan | None, str, int, dict[str, Any]]:
    """Run one variant (from the shared preparation ``prep`` when there is one).

    Returns the plan, or None with the error message, exit code and diagnostics.
    """
    from planner.pipeline import plan_prepared, run_scenario

    try:
        scenario = load_scenario(source, (*base_overrides, *overrides))
        plan = plan_prepared(prep, scenario) if prep is not None else run_scenario(scenario)
        return plan, "", 0, {}
    except PlannerError as exc:
        return None, str(exc), exc.exit_code, dict(getattr(exc, "diagnostics", {}) or {})


def _submit_solve(
    pool: Executor, prep: Prepared | None, source: str, base_overrides: tuple[str, ...], overrides: tuple[str, ...]
) -> Future[tuple[Plan | None, str, int, dict[str, Any]]]:
    """Queue one variant: worker processes hold the preparation already, inline runs get it passed."""
    if isinstance(pool, ProcessPoolExecutor):
        return pool.submit(_solve_in_worker, source, base_overrides, overrides)
    return pool.submit(_solve_variant, prep, source, base_overrides, overrides)


def _write_variant(plan: Plan, folder: Path) -> str:
    from planner.stages.outputs import write_outputs as write_plan

    files = write_plan(plan, folder)
    return str(files.get("report", folder))


def _executor(jobs: int, prep: Prepared | None) -> Executor:
    if jobs <= 1:
        return _InlineExecutor()
    # spawn, not fork: OR-Tools and numba start threads, and fork after threads can deadlock
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(prep,)
    )


def _abort(pool: Executor) -> None:
    """Cancel pending tasks and stop worker processes now (on error, Ctrl-C or SIGTERM)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)


class _InlineExecutor(Executor):
    """Runs tasks in this process (``jobs = 1``; also what notebooks get by default)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller through the future, as an executor does)
            fut.set_exception(exc)
        return fut


# ----------------------------------------------------------------------------- sweep


def _resolve_variants(
    scenario: str | Path, params: Sequence[str], overrides: Sequence[str]
) -> tuple[list[Variant], tuple[str, ...], list[str], Scenario]:
    variants = parse_params(params)
    base_over = tuple(overrides)
    notes: list[str] = []
    base = load_scenario(scenario, base_over)
    swept = {o.partition("=")[0].strip() for v in variants for o in v.overrides}
    if (
        swept & set(_CAP_KEYS)
        and base.objective.kind == "min_cost"
        and not any(o.partition("=")[0].strip() == "objective.kind" for o in (*base_over, *variants[0].overrides))
    ):
        base_over = (*base_over, "objective.kind=max_coverage")
        notes.append(NOTE_MAX_COVERAGE)
        base = load_scenario(scenario, base_over)
    problems: list[Problem] = []
    for v in variants:  # validate every variant before computing anything
        try:
            load_scenario(scenario, (*base_over, *v.overrides))
        except ScenarioError as exc:
            for p in exc.problems:  # a value a --param gave is named as that --param item, not as a --set
                source = p.source
                for item in v.overrides:
                    source = source.replace(f"(--set {item})", f"(--param {item})")
                problems.append(Problem(f"variant {v.label}: {p.message}", source, p.where, p.fix))
    if problems:
        raise ScenarioError(problems)
    return variants, base_over, notes, base


def sweep(
    scenario: str | Path,
    params: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: SweepProgress | None = None,
) -> SweepResult:
    """Run every variant of a scenario and compare them.

    Parameters
    ----------
    scenario : str or Path
        The base scenario TOML file.
    params : sequence of str
        ``key=v1,v2,...`` items; the variants are their cartesian product.
    overrides : sequence of str
        ``key=value`` overrides applied to every variant (as ``--set``).
    out_dir : str or Path, optional
        Write the sweep folder here (atomically; see the module docstring). Without it the
        plans are only returned (notebooks).
    jobs : int, optional
        Parallel processes; default ``min(2, number of variants)``. 1 runs in this process.
    progress : callable, optional
        ``progress(event, label, done, total)`` with event ``"prepare"``, ``"solved"``,
        ``"written"`` or ``"done"``.

    Returns
    -------
    SweepResult

    Raises
    ------
    PlannerError
        For bad parameters or inputs (every variant is validated before any work).
    """
    from planner.io.rundir import refuse_file_as_folder
    from planner.pipeline import prepare_scenario
    from planner.stages.outputs import check_outputs

    variants, base_over, notes, base = _resolve_variants(scenario, params, overrides)
    if out_dir is not None:  # say so before computing
        refuse_file_as_folder(Path(out_dir))
        check_outputs(base)
    n = len(variants)
    jobs = max(1, min(jobs if jobs is not None else 2, n))
    keys = sorted({o.partition("=")[0].strip() for v in variants for o in v.overrides})
    shared = shares_preparation(keys)
    prep = None
    if shared:
        if progress:
            progress("prepare", "", 0, n)
        prep = prepare_scenario(base)
    source = str(scenario)
    plans: dict[str, Plan] = {}
    failures: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    pool = _executor(jobs, prep)
    try:
        futures = [_submit_solve(pool, prep, source, base_over, v.overrides) for v in variants]
        for i, (v, fut) in enumerate(zip(variants, futures, strict=True), 1):
            plan, error, code, diagnostics = fut.result()
            row: dict[str, Any] = {"label": v.label, "folder": v.folder, "overrides": " ".join(v.overrides)}
            if plan is not None:
                plans[v.label] = plan
                row.update(plan_metrics(plan))
            row["error"], row["exit_code"] = error, code
            if plan is None:
                failures[v.label] = {
                    "status": "infeasible" if code == 3 else "error",
                    "exit_code": code,
                    "message": error,
                    "overrides": list(v.overrides),
                    "diagnostics": diagnostics,
                }
            rows.append(row)
            if progress:
                progress("solved", v.label, i, n)
        table = pd.DataFrame(rows)
        for col in ("n_sites", "cost", "coverage"):
            if col not in table:
                table[col] = np.nan
        table["pareto"] = pareto_front(table)
        points = [
            {
                "label": r["label"],
                "n_sites": int(r["n_sites"]),
                "cost": float(r["cost"]),
                "coverage": float(r["coverage"]),
            }
            for _, r in table.iterrows()
            if pd.notna(r["n_sites"])
        ]
        for label, plan in plans.items():
            plan.extras["pareto"] = points
            plan.extras["pareto_current"] = label
        result = SweepResult(table, plans, variants, None, shared, notes, failures)
        if out_dir is not None:
            result.out_dir = _write_sweep(result, base, Path(out_dir), pool, progress, keys)
    except BaseException:
        _abort(pool)
        raise
    pool.shutdown(wait=True)
    if progress:
        progress("done", "", n, n)
    return result


def _write_sweep(
    result: SweepResult, base: Scenario, out_dir: Path, pool: Executor, progress: SweepProgress | None, keys: list[str]
) -> Path:
    from planner.io.rundir import atomic_dir
    from planner.stages.outputs import write_diagnostics
    from planner.workflow.sweep_report import write_sweep_report

    out_dir = out_dir.resolve()
    with atomic_dir(out_dir) as tmp:
        futures = {
            label: pool.submit(_write_variant, plan, tmp / next(v.folder for v in result.variants if v.label == label))
            for label, plan in result.plans.items()
        }
        try:
            for i, fut in enumerate(futures.values(), 1):
                fut.result()
                if progress:
                    progress("written", "", i, len(futures))
        except BaseException:
            _abort(pool)  # stop the writers before the temporary folder is removed
            raise
        for v in result.variants:
            if v.label in result.failures:
                (tmp / v.folder).mkdir()
                write_diagnostics(result.failures[v.label], tmp / v.folder)
        table = result.table
        from planner._text import spreadsheet_frame  # labels carry --param text: written inert

        spreadsheet_frame(table).to_csv(tmp / "sweep.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
        fig = pareto_figure(table, base.report.language)
        fig.savefig(tmp / "pareto.png")
        meta = {
            "scenario_file": str(base.source) if base.source else None,
            "params": keys,
            "notes": result.notes,
            "shared_coverage": result.shared_coverage,
            "variants": [
                {"label": v.label, "folder": v.folder, "overrides": list(v.overrides)} for v in result.variants
            ],
            "table": json.loads(table.to_json(orient="records", force_ascii=False)),
        }
        (tmp / "sweep.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_sweep_report(result, base, tmp / "report.html", tmp / "pareto.png")
    return out_dir
