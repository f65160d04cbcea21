"""The outputs stage: a :class:`~planner.plan.Plan` written to a run folder, and its report re-rendered.

This is the one module that calls both the disk writers (:mod:`planner.io`) and the report
(:mod:`planner.report`); neither of those imports the other.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner._json import jsonable
from planner.errors import InfeasibleTargetError, PlannerError, Problem
from planner.plan import Plan
from planner.scenario import Scenario


def check_outputs(scenario: Scenario) -> None:
    """Refuse, before any stage runs, a scenario whose outputs cannot be written.

    Today: ``report.basemap = "tianditu"`` without the ``TIANDITU_KEY`` environment variable
    (:class:`~planner.errors.ScenarioError`, exit code 2), which the report would otherwise
    find only after the solve.
    """
    if scenario.report.basemap == "tianditu":
        from planner.report._keys import tianditu_key

        tianditu_key()
    if scenario.report.pdf:  # report.pdf needs Playwright and Chromium (exit 2 with the fix, before the solve)
        from planner.report.pdf import check_pdf

        check_pdf()


def write_outputs(plan: Plan, out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.html``, tables, GeoPackage, KML, DXF, ``coverage.tif``, ``cover_count.tif``, ``sinr.tif``,
    ``overlap.tif`` and ``manifest.json``.

    Everything is built in a temporary folder that replaces ``out_dir`` only when complete.

    Parameters
    ----------
    plan : Plan
        The plan to write.
    out_dir : str or Path
        The run folder (replaced as a whole).

    Returns
    -------
    dict
        Output name → final path.
    """
    from planner.coverage import write_best_server_geotiff
    from planner.coverage.raster import write_sinr_rasters
    from planner.io.exports import write_exports
    from planner.io.outputs import write_manifest
    from planner.io.rundir import atomic_dir
    from planner.io.runio import write_run_state
    from planner.report import write_report

    out_dir = Path(out_dir).resolve()
    with atomic_dir(out_dir) as tmp:
        files: dict[str, Path] = dict(write_exports(plan, tmp))
        files.update(write_run_state(plan, tmp))  # boundary layer + cover_count.tif, for planner.io.runio.read_run
        if "rsrp_dbm" not in plan.extras or "rsrp_floor_dbm" not in plan.extras:
            # a plan assembled outside the pipeline (no terrain at hand): planner.pipeline attaches it
            from planner.stages.assemble import attach_plan_rsrp

            attach_plan_rsrp(plan)
        files["coverage"] = write_best_server_geotiff(  # RSRP in every cell inside the boundary
            plan.extras["rsrp_dbm"],
            plan.grid,
            tmp / "coverage.tif",
            threshold_dbm=plan.threshold_dbm,
            floor_dbm=float(plan.extras["rsrp_floor_dbm"]),
        )
        files.update(write_sinr_rasters(plan, tmp))  # sinr.tif, overlap.tif (planner.radio.interference)
        files["report"] = write_report(plan, tmp / "report.html")
        if plan.scenario.report.pdf:  # report.pdf through headless Chromium (planner.report.pdf)
            from planner.report.pdf import write_pdf

            files["report_pdf"] = write_pdf(tmp / "report.html", tmp / "report.pdf")
        files["manifest"] = write_manifest(plan, files, tmp)
    return {k: out_dir / Path(v).name for k, v in files.items()}


def diagnostics_record(exc: InfeasibleTargetError, scenario: Scenario | None = None) -> dict[str, Any]:
    """The content of ``diagnostics.json`` for a run whose result is "infeasible".

    ``status``, ``exit_code``, ``message``, ``problems`` and ``diagnostics`` (what could not be
    met and why), and with ``scenario`` its file, ``--set`` overrides and resolved settings.
    """
    data: dict[str, Any] = {
        "status": "infeasible",
        "exit_code": exc.exit_code,
        "message": str(exc),
        "problems": [asdict(p) for p in exc.problems],
        "diagnostics": exc.diagnostics,
    }
    if scenario is not None:
        data["scenario_file"] = str(scenario.source) if scenario.source else None
        data["overrides"] = list(scenario.overrides)
        data["scenario"] = scenario.to_dict()
    return data


def write_diagnostics(record: dict[str, Any], folder: Path) -> Path:
    """Write ``record`` (see :func:`diagnostics_record`) as ``folder/diagnostics.json``."""
    path = folder / "diagnostics.json"
    path.write_text(json.dumps(jsonable(record), ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_infeasible(out_dir: str | Path, exc: InfeasibleTargetError, scenario: Scenario | None = None) -> Path:
    """Replace ``out_dir`` atomically by a folder holding only ``diagnostics.json``; its path.

    The run completed its analysis and its result is "infeasible": the output folder then holds
    only the diagnostics (what could not be met and why), never a stale plan.
    """
    from planner.io.rundir import atomic_dir

    out_dir = Path(out_dir).resolve()
    with atomic_dir(out_dir) as tmp:
        write_diagnostics(diagnostics_record(exc, scenario), tmp)
    return out_dir / "diagnostics.json"


def rerender_report(
    run_dir: str | Path,
    *,
    language: str | None = None,
    basemap: str | None = None,
    out: str | Path | None = None,
    pdf: bool = False,
) -> Path:
    """Re-render a run's report from its saved results (no coverage, no solving).

    Parameters
    ----------
    run_dir : str or Path
        A run folder.
    language : {"zh", "en"}, optional
        Report language; default the run's ``report.language``.
    basemap : {"none", "osm", "tianditu", "gaode"}, optional
        Basemap; default the run's.
    out : str or Path, optional
        Output file. Default ``run_dir/report.html``, or ``run_dir/report_<language>.html``
        when ``language`` differs from the run's. Inside the run folder the manifest's
        output hashes are updated.
    pdf : bool
        Also print it to a PDF beside it (``report.pdf``; same stem as ``out``) through
        headless Chromium (:mod:`planner.report.pdf`); also done when the run's scenario
        sets ``report.pdf = true``. Without Playwright or Chromium: exit 2 with the fix,
        checked before anything is written.

    Returns
    -------
    Path
        The report written (atomically: a temporary file renamed into place).
    """
    from planner.io.outputs import record_output
    from planner.io.runio import read_run
    from planner.report import write_report

    plan = read_run(run_dir)
    run_dir = Path(run_dir).resolve()
    rep = plan.scenario.report
    pdf = pdf or rep.pdf
    if pdf:
        from planner.report.pdf import check_pdf

        check_pdf()
    update: dict[str, Any] = {}
    if language is not None and language != rep.language:
        update["language"] = language
    if basemap is not None and basemap != rep.basemap:
        update["basemap"] = basemap
    if update:
        try:
            new_rep = type(rep).model_validate({**rep.model_dump(), **update})
        except ValidationError as exc:
            raise PlannerError(
                Problem(f"invalid report option ({type(exc).__name__})", "report", fix="see `planner report --help`")
            ) from None
        plan.scenario = plan.scenario.model_copy(update={"report": new_rep})
    if out is None:
        out = run_dir / ("report.html" if "language" not in update else f"report_{update['language']}.html")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; the report is read by others (as write_outputs' files are)
    tmp = Path(tmp_name)
    try:
        written = Path(write_report(plan, tmp))
        os.replace(written, out)
    finally:
        tmp.unlink(missing_ok=True)
    if out.parent == run_dir:
        record_output(run_dir, out)
    if pdf:
        from planner.report.pdf import write_pdf

        pdf_out = out.with_suffix(".pdf")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{pdf_out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
        os.chmod(tmp_name, 0o644)
        try:
            os.replace(write_pdf(out, tmp_name), pdf_out)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        if out.parent == run_dir:
            record_output(run_dir, pdf_out)
    return out
