"""Review of session 7's overlapped local search: the safety stop and a stop request still end it between chunks."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kernels.partialcover import column_pairs, partial_ls_run
from planner import _stop
from planner.optimize._heuristics import _run_beside
from tests.test_optimize_kernels import csr_csc, partial_instance

N_CHUNKS = 100_000  # 1 ms each: a search that would run 100 s unless something ends it


def _slow_search(stop: np.ndarray) -> int:
    """A stand-in for the kernel call: chunks of 1 ms until ``stop[0]`` is set (it counts them in ``stop[1]``)."""
    for _ in range(N_CHUNKS):
        if stop[0]:
            break
        time.sleep(0.001)
        stop[1] += 1
    return int(stop[1]) * 10


def test_the_safety_stop_ends_a_search_beside_other_work() -> None:
    """With PDLP beside it, the local search's safety stop was checked only before and after its chunks: a search
    whose fixed work outlasts the deadline (a loaded machine) ran to its end, past the stop the run promised.
    """
    steps, chunks, cut = _run_beside(_slow_search, N_CHUNKS, lambda: None, time.perf_counter() + 0.1)
    assert cut and 0 < chunks < N_CHUNKS and steps == 10 * chunks


def test_a_stop_request_ends_a_search_beside_other_work() -> None:
    """Ctrl-C (planner._stop.request_stop) while the search runs: it ends at its next chunk and the caller gets
    StopRequested (it waited for the whole search).
    """
    seen: list[int] = []

    def search(stop: np.ndarray) -> int:
        out = _slow_search(stop)
        seen.append(int(stop[1]))
        return out

    timer = threading.Timer(0.1, _stop.request_stop)
    timer.start()
    try:
        with pytest.raises(_stop.StopRequested):
            _run_beside(search, N_CHUNKS, lambda: None, time.perf_counter() + 1e9)
    finally:
        timer.cancel()
        _stop.reset()
    assert len(seen) == 1 and seen[0] < N_CHUNKS


def test_an_error_beside_ends_the_search() -> None:
    """An error in the work beside (PDLP) is raised once the search has ended at its next chunk, not at its end."""
    seen: list[int] = []

    def search(stop: np.ndarray) -> int:
        out = _slow_search(stop)
        seen.append(int(stop[1]))
        return out

    def failing() -> None:
        time.sleep(0.05)
        raise ValueError("beside")

    with pytest.raises(ValueError, match="beside"):
        _run_beside(search, N_CHUNKS, failing, time.perf_counter() + 1e9)
    assert len(seen) == 1 and seen[0] < N_CHUNKS


def test_the_kernel_ends_before_a_chunk_once_told() -> None:
    """``partial_ls_run`` with ``stop[0]`` set runs no chunk and leaves the state as it was."""
    inst = partial_instance(0)
    a, n = inst["a"], inst["a"].shape[1]
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    p_ptr, p_area, c_pair, r_pair = column_pairs(c_ptr, c_idx, r_ptr, r_idx, inst["area"], inst["n_areas"])
    sel = np.ones(n, dtype=bool)
    best, best_cost = sel.copy(), np.array([inst["cost"].sum()])
    alpha, stamp = np.ones(inst["n_areas"]), np.zeros(n, np.int64)
    args = (
        c_ptr,
        c_idx,
        c_pair,
        r_ptr,
        r_idx,
        r_pair,
        p_ptr,
        p_area,
        inst["cost"],
        inst["w"],
        inst["k"],
        inst["area"],
        inst["need"],
        sel,
        best,
        best_cost,
        alpha,
        stamp,
    )
    stop = np.array([1, 0], dtype=np.int64)
    assert partial_ls_run(*args, 25, 4, 0, 7, 3, stop) == 7
    assert stop.tolist() == [1, 0] and sel.all() and (stamp == 0).all()


def test_the_kernel_sees_a_stop_set_by_another_thread() -> None:
    """The compiled loop reads ``stop[0]`` afresh before every chunk (no copy hoisted out of the loop)."""
    inst = partial_instance(1)
    a, n = inst["a"], inst["a"].shape[1]
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    p_ptr, p_area, c_pair, r_pair = column_pairs(c_ptr, c_idx, r_ptr, r_idx, inst["area"], inst["n_areas"])
    sel = np.ones(n, dtype=bool)
    best, best_cost = sel.copy(), np.array([inst["cost"].sum()])
    alpha, stamp = np.ones(inst["n_areas"]), np.zeros(n, np.int64)
    args = (c_ptr, c_idx, c_pair, r_ptr, r_idx, r_pair, p_ptr, p_area, inst["cost"], inst["w"], inst["k"],
            inst["area"], inst["need"], sel, best, best_cost, alpha, stamp)  # fmt: skip
    partial_ls_run(*args, 5, 1, 1, 0, 3, np.zeros(2, np.int64))  # compiled before the clock matters
    stop = np.zeros(2, dtype=np.int64)
    n_chunks = 10**9  # hours of work unless the flag ends it
    worker = threading.Thread(target=lambda: partial_ls_run(*args, 5, n_chunks, 1, 0, 3, stop), daemon=True)
    worker.start()
    time.sleep(0.2)
    stop[0] = 1
    worker.join(60.0)
    assert not worker.is_alive() and 0 < stop[1] < n_chunks
