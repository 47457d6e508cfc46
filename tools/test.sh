#!/usr/bin/env bash
# `make test`: the unit tests and nbval on the smoke-profile notebooks in tests/notebooks/, in one
# pytest session spread over the machine's cores (pytest-xdist).
#
#   make test                            # every test, one worker per core
#   GIFT_TEST_WORKERS=0 make test        # in this process, one test after the other (easier to debug)
#   PYTEST_ARGS="-x -k losses" make test # extra pytest options
#
# Why one parallel session: on a 2-core machine the unit tests (most of their time is the paper
# profile's dry run of every chapter) and nbval (11 notebook kernels, each single-threaded) took
# 17 + 5 minutes one after the other; run side by side, each on a core, they take about half that.
# `--dist loadscope` keeps each test module and each notebook on one worker, in order: a notebook's
# cells share one kernel, and the dry-run chapters reuse each other's toy runs. Each worker gets one
# torch thread (OMP_NUM_THREADS=1), so two workers do not fight over two cores.
#
# pytest exit status 5 means "no tests collected", which is a failure here (tests/ is never meant
# to be empty). The notebooks are decided before pytest runs: no chapters in notebooks/ -> only the
# unit tests (said loudly); chapters but no executed copies -> failure (run `make smoke`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py="${VENV:-.venv}/bin/python"
workers="${GIFT_TEST_WORKERS:-auto}"
args=()
if [[ "$workers" != 0 ]]; then
    args+=(--numprocesses "$workers" --maxprocesses 4 --dist loadscope)
    export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
fi

chapters=$(find notebooks -maxdepth 1 -name '*.py' ! -name '_*' 2>/dev/null | wc -l)
executed=$(find tests/notebooks -maxdepth 1 -name '*.ipynb' 2>/dev/null | wc -l)
if [[ $chapters -eq 0 && $executed -eq 0 ]]; then
    echo "[test] nbval: SKIPPED - there are no chapters in notebooks/ yet"
elif [[ $executed -eq 0 ]]; then
    echo "[test] nbval: FAILED - notebooks/ has $chapters chapter(s) but tests/notebooks/ is empty; run: make smoke"
    exit 1
else
    echo "[test] nbval: $executed notebook(s) in tests/notebooks"
    args+=(--nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600)
fi

echo "[test] unit tests and nbval: pytest tests (workers: $workers)"
rc=0
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of options
"$py" -m pytest "${args[@]}" tests ${PYTEST_ARGS:-} || rc=$?
case "$rc" in
    0) echo "[test] passed" ;;
    5) echo "[test] FAILED - pytest collected no tests (exit status 5)" ;;
    *) echo "[test] FAILED (pytest exit status $rc)" ;;
esac
[[ $rc -eq 0 ]]
