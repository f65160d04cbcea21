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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from planner.errors import PlannerError, Problem, ScenarioError
from planner.scenario import Scenario, load_scenario, parse_override

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from planner.pipeline import Prepared
    from planner.plan import Plan

log = logging.getLogger(__name__)

#: keys (prefixes) that the stages up to coverage never read: variants differing only in
#: these share one coverage computation
SHAREABLE_PREFIXES: tuple[str, ...] = (
    "objective.", "solver.", "report.", "candidates.max_per_type", "candidates.min_separation_m",
    "scenario.name", "scenario.description",
)
#: swept keys that only matter under a coverage-maximising objective
_CAP_KEYS = ("objective.budget", "objective.max_sites")

NOTE_MAX_COVERAGE = "objective.kind set to max_coverage: a budget or max_sites sweep has no effect under min_cost"

#: callback(event, variant label or "", done, total)
SweepProgress = Callable[[str, str, int, int], None]


@dataclass(frozen=True)
class Variant:
    """One point of a sweep.

    Attributes
    ----------
    label : str
        Short human label, e.g. ``"max_sites=50"``.
    overrides : tuple of str
        The swept ``key=value`` items of this variant.
    folder : str
        Name of its run folder inside the sweep folder.
    """

    label: str
    overrides: tuple[str, ...]
    folder: str


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
            raise ScenarioError(Problem(f"--param {item!r} has no values", "--param", fix="write --param section.key=v1,v2,v3"))
        if key in keys:
            raise ScenarioError(Problem(f"--param {key} is given twice", "--param", fix="list every value in one --param"))
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
        slug = re.sub(r"[^0-9A-Za-z_.-]+", "-", "_".join(f"{n}-{v}" for n, v in zip(names, combo, strict=True))).strip("-")
        out.append(Variant(label, tuple(f"{k}={v}" for k, v in zip(keys, combo, strict=True)), f"{i:0{width}d}_{slug[:60]}"))
    return out


def shares_preparation(keys: Sequence[str]) -> bool:
    """True when variants differing only in ``keys`` can share one coverage computation.

    ``report.language`` is the exception under ``report.*``: it names the implicit
    rest-of-boundary area while the demand is prepared.
    """
    return all(k != "report.language" and any(k == p.rstrip(".") or k.startswith(p) for p in SHAREABLE_PREFIXES)
               for k in keys)


def plan_metrics(plan: Plan) -> dict[str, Any]:
    """Headline figures of a plan for comparison tables.

    Returns
    -------
    dict
        ``n_sites``, ``cost`` (万元), ``coverage`` (demand-weighted fraction of the planning
        area covered, counting a cell only when it has its required ``k`` sites; 0–1),
        ``cell_coverage`` (plain fraction of cells with at least one site), ``areas_met``,
        ``areas``, ``status``, ``objective``, ``bound``, ``gap``, ``solve_s``.
    """
    areas = plan.areas
    w = areas["weight"].to_numpy(float) * areas["n_cells"].to_numpy(float)
    cov = areas["coverage"].to_numpy(float)
    n_dem = int(plan.demand_mask.sum())
    sol = plan.solution
    return {
        "n_sites": len(plan.sites),
        "cost": round(float(plan.sites["cost"].sum()), 3),
        "coverage": round(float((w * cov).sum() / w.sum()) if w.sum() > 0 else 0.0, 6),
        "cell_coverage": round(float(plan.covered.sum()) / n_dem, 6) if n_dem else 0.0,
        "areas_met": int(areas["met"].sum()),
        "areas": len(areas),
        "status": sol.get("status"),
        "objective": sol.get("objective"),
        "bound": sol.get("bound"),
        "gap": sol.get("gap"),
        "solve_s": sol.get("runtime_s"),
    }


def pareto_front(table: pd.DataFrame, cost: str = "cost", value: str = "coverage") -> pd.Series:
    """Bool mask of the non-dominated rows (lower ``cost``, higher ``value``)."""
    ok = table[value].notna() & table[cost].notna()
    c = table[cost].to_numpy(float)
    v = table[value].to_numpy(float)
    front = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(ok.to_numpy()):
        dominated = ok.to_numpy() & (c <= c[i]) & (v >= v[i]) & ((c < c[i]) | (v > v[i]))
        front[i] = not dominated.any()
    return pd.Series(front, index=table.index)


@dataclass
class SweepResult:
    """What :func:`sweep` produced.

    Attributes
    ----------
    table : DataFrame
        One row per variant: ``label, folder`` and :func:`plan_metrics` (plus ``error`` and
        ``exit_code`` for variants that failed, and ``pareto``).
    plans : dict
        Variant label → :class:`~planner.plan.Plan` (successful variants only).
    variants : list of Variant
    out_dir : Path or None
        The sweep folder, if one was written.
    shared_coverage : bool
        Whether coverage was computed once for every variant.
    notes : list of str
        Adjustments made to the scenario (e.g. the objective switched to max_coverage).
    failures : dict
        Variant label → ``status, exit_code, message, overrides, diagnostics`` for variants
        that did not plan (written as ``<variant>/diagnostics.json``).
    """

    table: pd.DataFrame
    plans: dict[str, Plan]
    variants: list[Variant]
    out_dir: Path | None = None
    shared_coverage: bool = False
    notes: list[str] = field(default_factory=list)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every variant planned; else the largest error exit code (3 infeasible, 2 input)."""
        codes = self.table["exit_code"].fillna(0).astype(int) if "exit_code" in self.table else pd.Series([0])
        return int(codes.max()) if len(codes) else 0

    def pareto(self) -> pd.DataFrame:
        """The non-dominated variants (cost against coverage), by increasing cost."""
        return self.table[self.table["pareto"]].sort_values(["cost", "coverage"])

    def recommend(self, tolerance: float = 0.01) -> str | None:
        """Label of the cheapest variant whose coverage is within ``tolerance`` of the best.

        Parameters
        ----------
        tolerance : float
            Coverage shortfall accepted against the best variant (fraction; 0.01 = one
            percentage point).
        """
        ok = self.table[self.table["n_sites"].notna()]
        if ok.empty:
            return None
        good = ok[ok["coverage"] >= ok["coverage"].max() - tolerance - 1e-12]
        return str(good.sort_values(["cost", "n_sites", "coverage"], ascending=[True, True, False])["label"].iloc[0])

    def plan(self, label: str | int) -> Plan:
        """The plan of a variant, by label or by row position in :attr:`table`."""
        key = str(self.table["label"].iloc[label]) if isinstance(label, int) else label
        return self.plans[key]

    def plot(self) -> Figure:
        """The Pareto figure (coverage against cost and against number of sites)."""
        return pareto_figure(self.table)


def pareto_figure(table: pd.DataFrame, language: str = "en") -> Figure:
    """Two panels: weighted coverage (%) against cost (万元) and against number of sites.

    Labels are Chinese only when ``language == "zh"`` and a CJK font is installed.
    """
    import matplotlib
    from matplotlib.figure import Figure

    from planner.report.charts import cjk_font

    font = cjk_font()
    zh = language == "zh" and font is not None
    rc: dict[str, Any] = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    if font is not None:
        rc["font.family"] = [font, "DejaVu Sans"]
    ok = table[table["n_sites"].notna()].sort_values(["cost", "n_sites"])
    with matplotlib.rc_context(cast(Any, rc)):
        fig = Figure(figsize=(9.0, 3.8), dpi=110)
        axes = fig.subplots(1, 2)
        for ax, xcol, xlabel in zip(axes, ("cost", "n_sites"),
                                    ("总投资（万元）" if zh else "cost (10k CNY)", "站点数" if zh else "selected sites"),
                                    strict=True):
            _panel(ax, ok, xcol, xlabel, zh)
        fig.tight_layout()
    return fig


def _panel(ax: Axes, ok: pd.DataFrame, xcol: str, xlabel: str, zh: bool) -> None:
    y = 100.0 * ok["coverage"].astype(float)
    ax.plot(ok[xcol], y, "-", color="#9aa5b1", zorder=1)
    ax.scatter(ok[xcol], y, color="#9aa5b1", zorder=2, s=24)
    front = ok["pareto"].astype(bool)
    ax.scatter(ok.loc[front, xcol], y[front], color="#c0392b", zorder=3, s=36, label="帕累托最优" if zh else "Pareto-optimal")
    for (_, row), yy in zip(ok.iterrows(), y, strict=True):
        ax.annotate(str(row["label"]), (float(row[xcol]), float(yy)), fontsize=7, xytext=(4, -10), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("加权覆盖率（%）" if zh else "weighted coverage (%)")
    ax.grid(alpha=0.3)
    if front.any():
        ax.legend(loc="lower right", fontsize=8, frameon=False)


# ----------------------------------------------------------------------------- workers

_PREPARED: Prepared | None = None


def _init_worker(prep: Prepared | None) -> None:
    global _PREPARED
    _PREPARED = prep
    logging.getLogger("planner").setLevel(logging.ERROR)


def _solve_variant(source: str, base_overrides: tuple[str, ...],
                   overrides: tuple[str, ...]) -> tuple[Plan | None, str, int, dict[str, Any]]:
    """Run one variant (from the shared preparation when there is one).

    Returns the plan, or None with the error message, exit code and diagnostics.
    """
    from planner.pipeline import plan_prepared, run_scenario

    try:
        scenario = load_scenario(source, (*base_overrides, *overrides))
        plan = plan_prepared(_PREPARED, scenario) if _PREPARED is not None else run_scenario(scenario)
        return plan, "", 0, {}
    except PlannerError as exc:
        return None, str(exc), exc.exit_code, dict(getattr(exc, "diagnostics", {}) or {})


def _write_variant(plan: Plan, folder: Path) -> str:
    from planner.io.outputs import write_plan

    files = write_plan(plan, folder)
    return str(files.get("report", folder))


def _executor(jobs: int, prep: Prepared | None) -> Executor:
    if jobs <= 1:
        return _InlineExecutor(prep)
    # spawn, not fork: OR-Tools and numba start threads, and fork after threads can deadlock
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(prep,))


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

    def __init__(self, prep: Prepared | None) -> None:
        self._prep = prep

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        global _PREPARED
        fut: Future[Any] = Future()
        saved, _PREPARED = _PREPARED, self._prep
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            fut.set_exception(exc)
        finally:
            _PREPARED = saved
        return fut


# ----------------------------------------------------------------------------- sweep


def _resolve_variants(scenario: str | Path, params: Sequence[str], overrides: Sequence[str]) -> tuple[list[Variant], tuple[str, ...], list[str], Scenario]:
    variants = parse_params(params)
    base_over = tuple(overrides)
    notes: list[str] = []
    base = load_scenario(scenario, base_over)
    swept = {o.partition("=")[0].strip() for v in variants for o in v.overrides}
    if swept & set(_CAP_KEYS) and base.objective.kind == "min_cost" and not any(
        o.partition("=")[0].strip() == "objective.kind" for o in (*base_over, *variants[0].overrides)
    ):
        base_over = (*base_over, "objective.kind=max_coverage")
        notes.append(NOTE_MAX_COVERAGE)
        base = load_scenario(scenario, base_over)
    problems: list[Problem] = []
    for v in variants:  # validate every variant before computing anything
        try:
            load_scenario(scenario, (*base_over, *v.overrides))
        except ScenarioError as exc:
            problems += [Problem(f"variant {v.label}: {p.message}", p.source, p.where, p.fix) for p in exc.problems]
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
    from planner.pipeline import prepare_scenario

    variants, base_over, notes, base = _resolve_variants(scenario, params, overrides)
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():  # say so before computing
        raise PlannerError(Problem("the output path exists and is a file", str(out_dir), fix="choose a folder name with --out"))
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
        futures = [pool.submit(_solve_variant, source, base_over, v.overrides) for v in variants]
        for i, (v, fut) in enumerate(zip(variants, futures, strict=True), 1):
            plan, error, code, diagnostics = fut.result()
            row: dict[str, Any] = {"label": v.label, "folder": v.folder, "overrides": " ".join(v.overrides)}
            if plan is not None:
                plans[v.label] = plan
                row.update(plan_metrics(plan))
            row["error"], row["exit_code"] = error, code
            if plan is None:
                failures[v.label] = {"status": "infeasible" if code == 3 else "error", "exit_code": code, "message": error,
                                     "overrides": list(v.overrides), "diagnostics": diagnostics}
            rows.append(row)
            if progress:
                progress("solved", v.label, i, n)
        table = pd.DataFrame(rows)
        for col in ("n_sites", "cost", "coverage"):
            if col not in table:
                table[col] = np.nan
        table["pareto"] = pareto_front(table)
        points = [{"label": r["label"], "n_sites": int(r["n_sites"]), "cost": float(r["cost"]), "coverage": float(r["coverage"])}
                  for _, r in table.iterrows() if pd.notna(r["n_sites"])]
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


def _write_sweep(result: SweepResult, base: Scenario, out_dir: Path, pool: Executor,
                 progress: SweepProgress | None, keys: list[str]) -> Path:
    from planner.io.rundir import atomic_dir
    from planner.workflow.sweep_report import write_sweep_report

    out_dir = out_dir.resolve()
    with atomic_dir(out_dir) as tmp:
        futures = {label: pool.submit(_write_variant, plan, tmp / next(v.folder for v in result.variants if v.label == label))
                   for label, plan in result.plans.items()}
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
                (tmp / v.folder / "diagnostics.json").write_text(
                    json.dumps(result.failures[v.label], ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        table = result.table
        from planner.io._text import spreadsheet_frame  # labels carry --param text: written inert

        spreadsheet_frame(table).to_csv(tmp / "sweep.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
        fig = pareto_figure(table, base.report.language)
        fig.savefig(tmp / "pareto.png")
        meta = {
            "scenario_file": str(base.source) if base.source else None,
            "params": keys,
            "notes": result.notes,
            "shared_coverage": result.shared_coverage,
            "variants": [{"label": v.label, "folder": v.folder, "overrides": list(v.overrides)} for v in result.variants],
            "table": json.loads(table.to_json(orient="records", force_ascii=False)),
        }
        (tmp / "sweep.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_sweep_report(result, base, tmp / "report.html", tmp / "pareto.png")
    return out_dir
