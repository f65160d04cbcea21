"""Reading scenario TOML: files, ``extends`` chains, ``--set`` overrides and validation messages.

Below :mod:`planner.scenario` (which imports these helpers and re-exports :func:`parse_override`
and :data:`MAX_SEED`): nothing here knows the scenario's models, only raw TOML dicts and the
pydantic errors they produce.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner._paths import absolute, not_a_regular_file
from planner.errors import Problem, ScenarioError
from planner.scenario_rollout import rollout_fix

#: largest seed accepted: numpy and numba take seeds as signed 64-bit integers
MAX_SEED = 2**63 - 1


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML of one scenario file (UTF-8, a BOM allowed); a ScenarioError naming the file and fix."""
    why = not_a_regular_file(path, "scenario")  # a FIFO would block the read; a loop would raise
    if why is not None and not why.endswith("not found"):
        raise ScenarioError(Problem(why, str(path), fix="give the scenario as a regular .toml file"))
    try:
        text = path.read_text(encoding="utf-8-sig")  # Windows Notepad writes a BOM; TOML itself has none
    except FileNotFoundError:
        raise ScenarioError(
            Problem("scenario file not found", str(path), fix="check the path, or run `planner init DIR`")
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(Problem("scenario file is not UTF-8", str(path), fix="save it as UTF-8")) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(Problem(f"invalid TOML: {exc}", str(path), fix=_toml_fix(text, str(exc)))) from None


def _toml_fix(text: str, error: str) -> str:
    """The fix for a TOML syntax error, with the two mistakes planners make most."""
    import re

    m = re.search(r"at line (\d+)", error)
    line = text.splitlines()[int(m.group(1)) - 1] if m and int(m.group(1)) <= len(text.splitlines()) else ""
    key_part = line.split("=", 1)[0] if "=" in line and not line.lstrip().startswith("[") else line
    if "key" in error and any(ord(ch) > 127 for ch in key_part):
        return (
            "correct the TOML syntax: keys are the English names of the README (e.g. [demand.classes.park], "
            "[candidates.types.street_lamp]); Chinese text can only be a quoted value"
        )
    if "\\" in line and ("escape" in error.lower() or "unescaped" in error.lower()):
        return (
            'correct the TOML syntax: write Windows paths with forward slashes ("data/poles.csv") '
            "or in single quotes ('data\\poles.csv')"
        )
    return "correct the TOML syntax"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's TOML merged over its ``extends`` chain, input paths made absolute."""
    path = absolute(path)
    if path in seen:
        raise ScenarioError(Problem("`extends` forms a cycle", str(path), fix="remove the circular extends"))
    raw = read_toml(path)
    parent = raw.pop("extends", None)
    # make input paths absolute relative to the file that names them
    inputs = raw.get("inputs")
    if isinstance(inputs, dict):
        for key, value in list(inputs.items()):
            if isinstance(value, str) and key != "coordinates":
                inputs[key] = _input_path(value, path, key)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(
            Problem("`extends` must be a file name", str(path), "extends", 'e.g. extends = "base.toml"')
        )
    base = load_raw(path.parent / parent, (*seen, path))
    return _deep_merge(base, raw)


def _input_path(value: str, scenario: Path, key: str) -> str:
    r"""An ``[inputs]`` path made absolute against the scenario file's folder.

    ``~`` is the home folder; a relative Windows path (``data\\poles.csv``) works on Linux and
    macOS too; a Windows drive path (``D:\\规划\\poles.csv``) cannot, and is refused with the fix.
    """
    import os
    import re

    text = value.strip()
    if not text:
        raise ScenarioError(
            Problem(
                "empty path", str(scenario), f"[inputs.{key}]", "name the file, or remove the key if it is optional"
            )
        )
    if os.sep == "/" and re.match(r"^[A-Za-z]:[\\/]|^\\\\", text):
        raise ScenarioError(
            Problem(
                f"{text!r} is a Windows drive or network path, which does not exist on this machine",
                str(scenario),
                f"[inputs.{key}]",
                'copy the file next to the scenario and write the path relative to it (e.g. "data/poles.csv")',
            )
        )
    if os.sep == "/" and "\\" in text:
        text = text.replace("\\", "/")
    candidate = Path(text).expanduser()
    return str(candidate if candidate.is_absolute() else absolute(scenario.parent / candidate))


def parse_override(item: str) -> tuple[list[str], Any]:
    """Parse one ``key.path=value`` override; the value is read as TOML, else as a string."""
    if "\n" in item or "\r" in item:  # TOML would read the second line as another key and drop it silently
        raise ScenarioError(
            Problem(
                f"override {item!r} contains a line break",
                "--set",
                fix="give one key=value per --set, on one line (repeat --set for more keys)",
            )
        )
    if "=" not in item:
        raise ScenarioError(Problem(f"override {item!r} has no '='", "--set", fix="write --set section.key=value"))
    key, _, text = item.partition("=")
    keys = [k.strip() for k in key.strip().split(".") if k.strip()]
    if not keys:
        raise ScenarioError(
            Problem(f"override {item!r} has an empty key", "--set", fix="write --set section.key=value")
        )
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return keys, value


def apply_overrides(raw: dict[str, Any], overrides: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``raw`` with the ``--set key.path=value`` overrides applied in order."""
    out = copy.deepcopy(raw)
    for item in overrides:
        keys, value = parse_override(item)
        node = out
        for k in keys[:-1]:
            nxt = node.setdefault(k, {})
            if not isinstance(nxt, dict):
                raise ScenarioError(
                    Problem(f"`{'.'.join(keys)}`: `{k}` is not a table", "--set", fix="check the key path")
                )
            node = nxt
        node[keys[-1]] = value
    return out


#: fixes of the ``[solver]`` keys (also the text of their validators in :class:`planner.scenario.Solver`)
SOLVER_FIXES = {
    "solver.time_limit_s": "give a number of seconds above 0 and at most 1e6, e.g. time_limit_s = 60",
    "solver.work_limit": "give a number of work units from 0 to 1e12 (0 = time_limit_s × 300 units), "
    "e.g. work_limit = 12000",
    "solver.workers": "give a whole number of solver threads from 1 to 64, e.g. workers = 2",
}
#: fixes for keys whose range needs explaining (the generic fix points to the README)
_KEY_FIXES = {
    **SOLVER_FIXES,
    "inputs.coordinates": 'write "cgcs2000" (or "wgs84": the same to within a metre) or "gcj02" (高德/腾讯 web '
    "maps) for "
    'every input, or a table per input, e.g. coordinates = { boundary = "gcj02", candidates = "cgcs2000" }',
    "radio.noise_figure_db": "give the UE noise figure in dB, 0–30 (typically 7–9 dB for a handset)",
    "radio.load_factor": "give η from 0 to 1 (1 = every interferer fully loaded, 0.5 = half its resource blocks)",
    "radio.overlap_window_db": "give a window of 0–30 dB below the best server (operators use 6 dB)",
    "radio.sinr_min_db": "give an SS-SINR threshold of −20 to 40 dB (cell-edge practice: −3 dB)",
    "demand.require_sinr": "write true or false (true makes radio.sinr_min_db a requirement of every area)",
    "demand.sinr_repair_iterations": "give a whole number of re-solves from 1 to 20 (default 4)",
    "radio.macro_antenna.azimuths_deg": "give one bearing per sector, 0 to < 360 degrees (compass, clockwise from "
    "north)",
    "radio.micro_antenna.azimuths_deg": "give one bearing per sector, 0 to < 360 degrees (compass, clockwise from "
    "north)",
    "radio.macro_antenna.sectors": "give 1 to 6 sectors (macro practice: 3), or set omni = true",
    "radio.micro_antenna.sectors": "give 1 to 6 sectors (poles: 2 along the road), or set omni = true",
    "radio.macro_antenna.tilt_deg": 'give "auto" (arctan(h/R) + half the vertical beam) or a downtilt of −10 to 30 '
    "degrees (positive = down)",
    "radio.micro_antenna.tilt_deg": 'give "auto" or a downtilt of −10 to 30 degrees (positive = down)',
    "radio.macro_antenna.electrical_tilt_deg": "give an electrical downtilt of −10 to 30 degrees",
    "radio.micro_antenna.electrical_tilt_deg": "give an electrical downtilt of −10 to 30 degrees",
}


def _set_source(loc: str, source: str, overrides: tuple[str, ...]) -> str:
    """``source``, plus the last ``--set`` item that gave the key at ``loc`` (or a table above it)."""
    for item in reversed(overrides):
        key = ".".join(parse_override(item)[0])
        if loc == key or loc.startswith(key + "."):
            return f"{source} (--set {item})"
    return source


def format_validation(exc: ValidationError, source: str, overrides: tuple[str, ...] = ()) -> list[Problem]:
    """Pydantic's errors as problems naming the key and its fix (an unknown name reported once).

    A key given by a ``--set`` override names that override beside the scenario file.
    """
    problems = []
    errors = exc.errors()
    # an unknown type/class name: report it once, not also every field its table then lacks
    unknown_names = {
        ".".join(str(p) for p in e["loc"])[: -len(".[key]")]
        for e in errors
        if ".".join(str(p) for p in e["loc"]).endswith(".[key]")
    }
    for err in errors:
        loc = ".".join(str(p) for p in err["loc"])
        kind = err["type"]
        if any(loc.startswith(name + ".") for name in unknown_names) and not loc.endswith(".[key]"):
            continue
        if loc.endswith(".[key]"):  # a key of a dict of fixed names: candidates.types.<type>, demand.classes.<class>
            loc = loc[: -len(".[key]")]
            allowed = err.get("ctx", {}).get("expected", "")
            problems.append(
                Problem(
                    f"unknown name {err.get('input')!r}",
                    source,
                    f"[{loc}]",
                    f"use one of {allowed} (English names, as in the README)",
                )
            )
            continue
        if kind == "extra_forbidden":
            fix = "remove it or check its spelling against the README's scenario keys"
            msg = "unknown key"
        elif kind == "missing":
            fix = "add it"
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")  # pydantic's prefix of a validator's own message
            key = loc.rsplit(".", 1)[0] if loc.rsplit(".", 1)[-1].isdigit() else loc  # list items: the list's key
            fix = _KEY_FIXES.get(key) or rollout_fix(key) or "give a value of the right type and range (see README)"
            if loc == "scenario.seed":
                fix = f"use a whole number from 0 to 2^63 − 1 ({MAX_SEED})"
            msg = msg.removesuffix(f": {fix}")  # a validator that already says the fix: said once, after "Fix:"
        if "input" in err and kind != "missing" and not isinstance(err["input"], dict):
            msg += f" (got {err['input']!r})"
        problems.append(Problem(msg, _set_source(loc, source, overrides), f"[{loc}]", fix))
    return problems
