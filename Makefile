# Every target bootstraps .venv by itself from the pinned constraints.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint clean chromium

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/planner run data/scenarios/demo.toml --out runs/demo  # prints the report's path

# the report's browser test drives Debian's chromium (skipped, with a reason, if it cannot be installed)
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) \
		|| echo "warning: could not install chromium; the browser test will be skipped"

test: $(STAMP) chromium
	$(PY) -m pytest -q

# spopt + PuLP live only in .venv-bench (pinned), driven as a subprocess by tests/benchmarks/test_bench_spopt.py;
# so does pyarrow, which converts the GeoParquet roads of ../shared for tests/benchmarks/test_bench_city.py,
# and pycft (AC-CFT, MIT), the set-cover baseline of tests/benchmarks/test_bench_orlib.py
.venv-bench/.stamp: tests/benchmarks/constraints-spopt.txt
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet -c tests/benchmarks/constraints-spopt.txt spopt pulp pyarrow pycft
	touch $@

bench: $(STAMP) .venv-bench/.stamp
	$(PY) -m pytest -q tests/benchmarks -p no:cacheprovider -o addopts="" -s

# ruff (pyproject [tool.ruff]), mypy --strict (pyproject [tool.mypy]) and the import contracts
# (pyproject [tool.importlinter]: kernels never import planner, io never imports report, optimize
# never imports geopandas, layers cli -> workflow -> pipeline -> stages -> ... -> kernels, no cycles)
lint: $(STAMP)
	$(VENV)/bin/ruff check planner kernels tests data/build_demo.py
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
