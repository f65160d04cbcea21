"""One error hierarchy for the planner.

Every problem the user can fix is a :class:`PlannerError`. The CLI turns it into a one-line
message (file, row or feature, and the fix) and exit code 2, without a traceback. An
unmeetable coverage target is :class:`InfeasibleTargetError` (exit code 3); a machine that
cannot store the outputs (disk full, permission denied, read-only) is
:class:`OutputEnvironmentError` (exit code 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem found in the inputs.

    Parameters
    ----------
    message : str
        What is wrong.
    source : str, optional
        The file or scenario key concerned.
    where : str, optional
        The row, feature id or column concerned.
    fix : str, optional
        How to fix it.
    """

    message: str
    source: str = ""
    where: str = ""
    fix: str = ""

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.where:
            parts.append(self.where)
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class PlannerError(Exception):
    """Base class of every error the user can act on (CLI exit code 2)."""

    exit_code: int = 2

    def __init__(self, message: str | Problem | Sequence[Problem]) -> None:
        if isinstance(message, Problem):
            self.problems: tuple[Problem, ...] = (message,)
        elif isinstance(message, str):
            self.problems = (Problem(message),)
        else:
            self.problems = tuple(message)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems found:"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        return "\n".join(lines)


class ScenarioError(PlannerError, ValueError):
    """The scenario file is missing, malformed or has invalid values."""


class InputDataError(PlannerError, ValueError):
    """An input data file (candidates, areas, boundary, DEM, ...) is unusable."""


class EmptyLayerError(InputDataError):
    """An input layer holds no features: refused for the boundary and the candidates, an empty optional layer
    (priority areas, exclusions, buildings) is planned as if it were not given, with a warning.
    """


class ResourceLimitError(PlannerError):
    """The requested problem would not fit in memory; the message says what would.

    Raised before allocating, from the sizes the scenario asks for; not a :class:`MemoryError`
    (nothing ran out of memory, and ``except MemoryError`` around real allocations must not
    catch a refusal the user can fix).
    """


class OutputEnvironmentError(PlannerError, OSError):
    """The machine refused to store the outputs: disk full, permission denied, read-only file system,
    or a folder that cannot be renamed (CLI exit code 4).

    Not a problem with the inputs (exit code 2) and not a bug (exit code 1): the message names the
    path and what it needs (free space, write permission, another ``--out``). Nothing partial is
    left behind and an earlier run in the output folder is kept.
    """

    exit_code = 4


class InfeasibleTargetError(PlannerError):
    """A coverage target cannot be met by any selection of candidates (CLI exit code 3).

    ``diagnostics`` (JSON-ready: e.g. per-area target and best reachable share) is written
    to ``diagnostics.json`` in the output folder by :func:`planner.pipeline.run_and_write`
    (which ``planner run`` calls) and by sweeps.
    """

    exit_code = 3

    def __init__(
        self, message: str | Problem | Sequence[Problem], diagnostics: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.diagnostics: dict[str, Any] = dict(diagnostics or {})
