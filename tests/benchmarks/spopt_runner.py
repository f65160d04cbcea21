"""Run spopt (PuLP + CBC) on the spopt_compare instance; executed by the benchmark venv only.

Usage: ``.venv-bench/bin/python tests/benchmarks/spopt_runner.py DATA_DIR lscp|mclp CBC_LIMIT_S OUT.json``

Never imported by the project (spopt and PuLP are not project dependencies). Measures, as in
``../shared/data/spopt_compare/README.md``: the dense distance matrix, the spopt model build
and the CBC solve (process CPU seconds), and parses CBC's log for the best bound.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
from scipy.spatial.distance import cdist
from spopt.locate import LSCP, MCLP

RADIUS_M = 712.92


def main() -> None:
    data, kind, limit, out = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
    cand = pd.read_csv(data / "candidates.csv")
    dem = pd.read_csv(data / "demand.csv")
    c0 = time.process_time()
    cost = cdist(dem[["x", "y"]].to_numpy(), cand[["x", "y"]].to_numpy())
    t_matrix = time.process_time() - c0
    c0 = time.process_time()
    if kind == "lscp":
        model = LSCP.from_cost_matrix(cost, RADIUS_M)
    else:
        model = MCLP.from_cost_matrix(cost, dem["weight"].to_numpy(float), RADIUS_M, p_facilities=50)
    t_build = time.process_time() - c0
    log = Path(tempfile.mkdtemp()) / "cbc.log"
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, threads=1, logPath=str(log))
    c0 = time.process_time()
    w0 = time.perf_counter()
    try:
        model.solve(solver, results=False)
        status = pulp.LpStatus[model.problem.status]
    except Exception as exc:  # spopt raises plain exceptions when CBC finds nothing
        status = f"error: {exc}"
    t_solve_wall = time.perf_counter() - w0
    t_solve_cpu = time.process_time() - c0
    obj = pulp.value(model.problem.objective)
    text = log.read_text(errors="replace") if log.exists() else ""
    bound = None
    m = re.findall(r"best possible ([-0-9.e+]+)", text) or re.findall(r"Lower bound:\s+([-0-9.e+]+)", text)
    if m:
        bound = float(m[-1])
    if kind == "mclp" and bound is not None:
        bound = abs(bound)  # CBC minimises the negated coverage
    if "No feasible solution found" in text:
        obj = None  # PuLP then reports the LP value, which is no plan
    prefix = "y" if kind == "lscp" else "x"  # spopt's facility variables: LSCP y[j], MCLP x[j]
    n_sites = sum(1 for v in model.problem.variables() if v.name.startswith(prefix) and (v.varValue or 0) > 0.5)
    result = re.findall(r"Result - (.+)", text)
    cbc_cpu = re.findall(r"Total time \(CPU seconds\):\s+([0-9.]+)", text)
    res = {
        "kind": kind,
        "cbc_result": result[-1].strip() if result else None,
        "cbc_cpu_s": float(cbc_cpu[-1]) if cbc_cpu else None,
        "cbc_limit_s": limit,
        "matrix_cpu_s": round(t_matrix, 2),
        "build_cpu_s": round(t_build, 2),
        "solve_cpu_s": round(t_solve_cpu, 2),
        "solve_wall_s": round(t_solve_wall, 2),
        "status": status,
        "objective": obj,
        "bound": bound,
        "sites": n_sites,
        "cbc_log_tail": text[-1500:],
        "spopt": __import__("spopt").__version__,
        "pulp": pulp.__version__,
    }
    out.write_text(json.dumps(res, indent=1))
    _ = np


if __name__ == "__main__":
    main()
