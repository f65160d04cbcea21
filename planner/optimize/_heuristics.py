"""Heuristics on a reduced problem: lazy greedy, redundant-column removal and local search.

* every problem: lazy greedy (:func:`kernels.greedy.greedy_cover`), then for ``min_cost`` the
  removal of redundant columns, most expensive first;
* pure set cover (every row hard, k = 1, no side constraint): row-weighting local search
  (:func:`kernels.localsearch.rwls`);
* min cost with partial area targets (soft rows, any k, hard rows allowed, no side
  constraint): area-weighting local search (:func:`kernels.partialcover.partial_ls`);
* maximum coverage with a site count only (k = 1, no budget, no side constraint): tabu
  1-swap search (:func:`kernels.localsearch.swap_search`).

Every stage runs on a work budget in elementary operations (see
:mod:`planner.optimize._budget`): the greedy counts the nonzeros and heap moves it visits,
the local searches run a number of fixed-size chunks computed from a per-step cost model.
Same inputs and budget, same result. ``deadline`` (``time.perf_counter()``) is only the
solve's safety stop; a stage it cuts short says so in its stats (``time_limited``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kernels.greedy import drop_redundant, greedy_cover
from kernels.localsearch import rwls, swap_search
from kernels.partialcover import column_pairs, partial_ls_run
from planner._stop import check, stop_requested
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

#: uncovered rows drawn per step of the partial-target local search (8 gave the cheapest
#: demo plans among 1, 4, 8, 16, 32, 128 for 300 000 steps)
PARTIAL_DRAWS = 8
#: step cap of that search per column (small models converge long before their time budget)
PARTIAL_STEPS_PER_COL = 500
#: step cap of the pure set-cover search (RWLS): this many steps per column plus 50,000, so
#: that tiny models do not spend their whole local-search budget after converging
RWLS_STEPS_PER_COL = 500


#: how often (s) the thread beside a local search's worker looks at the safety stop and a stop request
BESIDE_POLL_S = 0.05


def _run_chunks(advance: Callable[[int], int], max_chunks: int, deadline: float) -> tuple[int, int, bool]:
    """Run a local search's fixed-size chunks until ``max_chunks`` or the wall-clock ``deadline``.

    ``advance(step)`` runs one chunk from step ``step`` and returns the next step count; a stop
    request (SIGINT/SIGTERM, :mod:`planner._stop`) is checked before each. Returns the step count,
    the chunks run and whether the deadline (s, ``time.perf_counter``) cut the search.
    """
    step, chunks = 0, 0
    while chunks < max_chunks:
        check()  # SIGINT/SIGTERM: planner._stop
        if time.perf_counter() >= deadline:
            return step, chunks, True
        step = advance(step)
        chunks += 1
    return step, chunks, False


def _run_beside(
    run_all: Callable[[NDArray[np.int64]], int], n_chunks: int, beside: Callable[[], None], deadline: float
) -> tuple[int, int, bool]:
    """Run all ``n_chunks`` chunks of a local search in one kernel call on a worker thread while ``beside()`` runs here.

    ``run_all(stop)`` must be a ``nogil`` kernel call (it holds no GIL while it works, so ``beside``
    may be a library call that keeps the GIL, such as PDLP) that ends before its next chunk once
    ``stop[0]`` is non-zero and counts its chunks in ``stop[1]``. The result is the one of
    :func:`_run_chunks`: the same chunks in the same order. Once ``beside`` has returned, this
    thread watches the safety stop and a stop request (:mod:`planner._stop`) and sets ``stop[0]``
    when either comes (while ``beside`` runs they wait for it: PDLP keeps the GIL and has the
    same deadline); an error of ``beside`` ends the search too. Returns (step count, chunks run,
    cut); nothing runs, ``beside`` included, when the safety stop has already passed.
    """
    check()
    if time.perf_counter() >= deadline:
        return 0, 0, True
    out: list[int] = []
    err: list[BaseException] = []
    entered = threading.Event()
    stop = np.zeros(2, dtype=np.int64)  # [0]: end before the next chunk (set here); [1]: chunks run

    def work() -> None:
        try:
            entered.set()
            out.append(run_all(stop))
        except BaseException as exc:  # noqa: BLE001 (re-raised in the calling thread)
            err.append(exc)

    thread = threading.Thread(target=work, name="planner-local-search", daemon=True)
    thread.start()
    entered.wait()
    failed = True
    try:
        beside()
        failed = False
    finally:
        while thread.is_alive():
            if failed or stop_requested() or time.perf_counter() >= deadline:
                stop[0] = 1
            thread.join(BESIDE_POLL_S)
    if err:
        raise err[0]
    check()
    chunks = int(stop[1])
    return out[0], chunks, chunks < n_chunks


def csc_of(red: Reduced) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Column-major incidence (indptr, indices) of the reduced matrix."""
    c = red.a.tocsc()
    c.sort_indices()
    return c.indptr.astype(np.int64), c.indices.astype(np.int64)


def greedy_select(
    red: Reduced,
    side: Side,
    mode: str,
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    max_ops: float = math.inf,
    stats: dict[str, Any] | None = None,
) -> NDArray[np.bool_]:
    """Lazy greedy (kernels.greedy) plus redundant-column removal (min_cost).

    ``max_ops`` bounds the greedy's work (counted operations); when it stops the greedy
    early the selection is unfinished (``stats["greedy"]["done"]`` is False) and, for
    ``min_cost``, usually misses a target.
    """
    n = red.n_cols
    if n == 0:
        return np.zeros(0, dtype=bool)
    conf_ptr, conf_idx = side.conflict_csr()
    if mode == "min_cost":
        tol = 1e-9 * np.maximum(red.total_w, 1.0)
        need = np.where(red.need > tol, red.need - tol, 0.0).astype(np.float64)
        by_ratio = True
    else:
        need = np.full(red.need.size, np.inf)
        by_ratio = bool(np.isfinite(side.budget))
    cost = side.cost.astype(np.float64)
    sel, ops, done = greedy_cover(
        c_ptr,
        c_idx,
        cost,
        red.w,
        red.k,
        red.area,
        need,
        np.zeros(red.a.shape[0], np.int64),
        np.ones(n, dtype=bool),
        side.group,
        side.n_groups,
        conf_ptr,
        conf_idx,
        side.ctype,
        side.cap,
        int(side.max_sites),
        float(side.budget),
        by_ratio,
        float(min(max_ops, 1e300)),
    )
    if stats is not None:
        stats["greedy"] = {"ops": float(ops), "done": bool(done), "n_selected": int(sel.sum())}
    if mode == "min_cost" and sel.any():
        sel = polish_min_cost(red, side, sel, c_ptr, c_idx)
    return np.asarray(sel, dtype=bool)


def polish_min_cost(
    red: Reduced, side: Side, sel: NDArray[np.bool_], c_ptr: NDArray[np.int64], c_idx: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Drop redundant columns, most expensive first (ties by index: deterministic)."""
    cnt = np.asarray(red.a @ sel.astype(np.int64)).ravel()
    cov = np.bincount(red.area, weights=red.w * (cnt >= red.k), minlength=red.need.size)
    slack = (cov - np.maximum(red.need, 0.0)).astype(np.float64)
    order = np.lexsort((np.arange(red.n_cols), -side.cost))
    order = order[sel[order]].astype(np.int64)
    out = drop_redundant(c_ptr, c_idx, side.cost, red.w, red.k, red.area, red.hard, slack, cnt, sel, order)
    return np.asarray(out, dtype=bool)


def improve(
    red: Reduced,
    side: Side,
    mode: str,
    sel: NDArray[np.bool_],
    max_ops: float,
    *,
    seed: int,
    stats: dict[str, Any],
    deadline: float = math.inf,
    beside: Callable[[], None] | None = None,
) -> NDArray[np.bool_]:
    """Local search from ``sel`` when the problem has the shape the kernels handle (else ``sel``).

    ``max_ops``: work budget in counted operations; ``deadline``: the safety stop
    (``time.perf_counter()``). ``stats["local_search"]`` gets the steps, the operations
    they count and ``time_limited`` when the safety stop ended the search. ``beside``: work
    to run in this thread while the area-weighting search runs on a worker thread
    (:func:`improve_partial`); it is not called by the other searches.
    """
    no_side = side.conflicts.size == 0 and side.n_groups == 0 and side.cap.size == 0
    all_k1 = bool((red.k == 1).all())
    if max_ops <= 0 or not no_side or red.a.shape[0] == 0:
        return sel
    if mode == "min_cost" and not bool(red.hard.all()):
        return improve_partial(red, side, sel, max_ops, seed=seed, stats=stats, deadline=deadline, beside=beside)
    if not all_k1:
        return sel
    t0 = time.perf_counter()
    c_ptr, c_idx = csc_of(red)
    a = red.a
    r_ptr, r_idx = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    n, m = red.n_cols, a.shape[0]
    if mode == "min_cost" and bool(red.hard.all()):
        cost = side.cost.astype(np.float64)
        if (cost <= 0).any():
            return sel
        cur = sel.copy()
        best = sel.copy()
        best_cost = np.array([float(cost[sel].sum())])
        start = best_cost[0]
        stamp = np.zeros(n, dtype=np.int64)
        chunk = 20_000
        per_step = 2.0 * n + 20.0 * a.nnz / max(m, 1) + 100.0
        cap_chunks = max(1, -(-(RWLS_STEPS_PER_COL * n + 50_000) // chunk))
        max_chunks = min(max(1, int(max_ops / per_step / chunk)), cap_chunks)
        step, chunks, cut = _run_chunks(
            lambda step: int(
                rwls(c_ptr, c_idx, r_ptr, r_idx, cost, cur, best, best_cost, chunk, int(seed), stamp, step)
            ),
            max_chunks,
            deadline,
        )
        stats["local_search"] = {
            "kind": "rwls",
            "steps": int(step),
            "ops": chunks * chunk * per_step,
            "start": start,
            "best": float(best_cost[0]),
            "time_limited": cut,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        return np.asarray(polish_min_cost(red, side, best, c_ptr, c_idx), dtype=bool)
    if (
        mode == "max_coverage"
        and not np.isfinite(side.budget)
        and side.max_sites >= 0
        and int(sel.sum()) == side.max_sites
    ):
        cur = sel.copy()
        best = sel.copy()
        cnt = np.asarray(a @ sel.astype(np.int64)).ravel()
        best_val = np.array([float(red.w[cnt >= 1].sum())])
        start = best_val[0]
        chunk, n_try, tenure = 50, 30, 10
        per_step = 2.0 * a.nnz + n_try * (n + 40.0 * a.nnz / max(n, 1)) + n * 20.0
        max_chunks = max(1, int(max_ops / per_step / chunk))

        def swap_chunk(step: int) -> int:
            swap_search(
                c_ptr, c_idx, r_ptr, r_idx, red.w, np.ones(n, dtype=bool), cur, best, best_val, chunk, tenure, n_try
            )
            return step

        _, chunks, cut = _run_chunks(swap_chunk, max_chunks, deadline)
        stats["local_search"] = {
            "kind": "tabu_swap",
            "steps": chunks * chunk,
            "ops": chunks * chunk * per_step,
            "start": start,
            "best": float(best_val[0]),
            "time_limited": cut,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        return np.asarray(best, dtype=bool)
    return sel


def improve_partial(
    red: Reduced,
    side: Side,
    sel: NDArray[np.bool_],
    max_ops: float,
    *,
    seed: int,
    stats: dict[str, Any],
    deadline: float = math.inf,
    beside: Callable[[], None] | None = None,
) -> NDArray[np.bool_]:
    """Area-weighting local search (kernels.partialcover) for min cost with partial targets.

    Hard rows form one extra area of unit weights whose need is all of them. The result is
    polished by redundant-column removal and checked against every target; ``sel`` is
    returned when the search finds nothing cheaper. ``beside``: work run in this thread while
    the search's chunks run in one kernel call on a worker thread (:func:`_run_beside`: the
    same chunks, the same result; the safety stop and a stop request end the search between its
    chunks only once ``beside`` has returned; ``stats["local_search"]["seconds"]`` then include
    the wall time of ``beside``).
    """
    t0 = time.perf_counter()
    c_ptr, c_idx = csc_of(red)
    a = red.a
    r_ptr, r_idx = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    n, m = red.n_cols, a.shape[0]
    n_areas = red.need.size
    hard = red.hard
    area = np.where(hard, n_areas, red.area).astype(np.int64)
    w = np.where(hard, 1.0, red.w).astype(np.float64)
    tol = 1e-9 * np.maximum(red.total_w, 1.0)
    need_real = np.where(red.need > tol, red.need - tol, -1.0)
    hard_area = np.bincount(red.area[hard], minlength=n_areas) > 0
    need = np.r_[np.where(hard_area, -1.0, need_real), float(hard.sum()) - 0.5].astype(np.float64)
    p_ptr, p_area, c_pair, r_pair = column_pairs(c_ptr, c_idx, r_ptr, r_idx, area, n_areas + 1)
    cost = side.cost.astype(np.float64)
    cur = sel.copy()
    best = sel.copy()
    best_cost = np.array([float(cost[sel].sum())])
    start = best_cost[0]
    alpha = np.ones(n_areas + 1, dtype=np.float64)
    stamp = np.zeros(n, dtype=np.int64)
    chunk = 5_000
    n_sel = max(int(sel.sum()), 1)
    # work per step: a scan of the columns, two flips (rows × row length) and the drawn rows
    # (measured 18 000–33 000 steps/s on the demo model on the loaded development machine)
    per_step = 1.5 * (
        0.25 * n
        + n_sel
        + 4.0 * (a.nnz / max(n, 1)) * (a.nnz / max(m, 1))
        + 20.0 * PARTIAL_DRAWS * (a.nnz / max(m, 1))
        + 100.0
    )
    steps_max = min(max_ops / per_step, PARTIAL_STEPS_PER_COL * n + 50_000)
    max_chunks = max(1, int(steps_max / chunk))
    args = (
        c_ptr,
        c_idx,
        c_pair,
        r_ptr,
        r_idx,
        r_pair,
        p_ptr,
        p_area,
        cost,
        w,
        red.k,
        area,
        need,
        cur,
        best,
        best_cost,
        alpha,
        stamp,
    )
    if beside is None:
        step, chunks, cut = _run_chunks(
            lambda step: int(partial_ls_run(*args, chunk, 1, int(seed), step, PARTIAL_DRAWS, np.zeros(2, np.int64))),
            max_chunks,
            deadline,
        )
    else:
        step, chunks, cut = _run_beside(
            lambda stop: int(partial_ls_run(*args, chunk, max_chunks, int(seed), 0, PARTIAL_DRAWS, stop)),
            max_chunks,
            beside,
            deadline,
        )
    out = np.asarray(polish_min_cost(red, side, best, c_ptr, c_idx), dtype=bool)
    ok = _meets_targets(red, out)
    stats["local_search"] = {
        "kind": "partial_ls",
        "steps": int(step),
        "ops": chunks * chunk * per_step,
        "start": start,
        "best": float(best_cost[0]),
        "feasible": ok,
        "time_limited": cut,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if not ok or float(cost[out].sum()) > start:
        return sel
    return out


def _meets_targets(red: Reduced, sel: NDArray[np.bool_]) -> bool:
    """Whether a free-column selection covers every hard row and meets every area need."""
    cnt = np.asarray(red.a @ sel.astype(np.int64)).ravel()
    ok = cnt >= red.k
    if (red.hard & ~ok).any():
        return False
    cov = np.bincount(red.area, weights=red.w * ok, minlength=red.need.size)
    tol = 1e-9 * np.maximum(red.total_w, 1.0)
    return bool((cov >= red.need - tol).all())
