#!/usr/bin/env bash
# `make test`: the unit tests, then nbval on the smoke-profile notebooks in tests/notebooks/.
# Both always run; the exit status is non-zero if either failed. Extra pytest options for the unit
# tests can be given in PYTEST_ARGS (e.g. PYTEST_ARGS="-x -k losses" make test).
#
# pytest exit status 5 means "no tests collected". For the unit tests that is a failure (tests/ is
# never meant to be empty). For nbval it is decided explicitly before pytest runs: no chapters in
# notebooks/ -> nothing to check (status 0, said loudly); chapters but no executed copies ->
# failure (run `make smoke`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py="${VENV:-.venv}/bin/python"
status=0

explain() {  # name, pytest exit status
    case "$2" in
        0) echo "[test] $1: passed" ;;
        5) echo "[test] $1: FAILED - pytest collected no tests (exit status 5)" ;;
        *) echo "[test] $1: FAILED (pytest exit status $2)" ;;
    esac
}

echo "[test] unit tests: pytest tests"
rc=0
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of options
"$py" -m pytest tests ${PYTEST_ARGS:-} || rc=$?
explain "unit tests" "$rc"
[[ $rc -eq 0 ]] || status=1

chapters=$(find notebooks -maxdepth 1 -name '*.py' ! -name '_*' 2>/dev/null | wc -l)
executed=$(find tests/notebooks -maxdepth 1 -name '*.ipynb' 2>/dev/null | wc -l)
if [[ $chapters -eq 0 && $executed -eq 0 ]]; then
    echo "[test] nbval: SKIPPED - there are no chapters in notebooks/ yet"
elif [[ $executed -eq 0 ]]; then
    echo "[test] nbval: FAILED - notebooks/ has $chapters chapter(s) but tests/notebooks/ is empty; run: make smoke"
    status=1
else
    echo "[test] nbval: $executed notebook(s) in tests/notebooks"
    rc=0
    "$py" -m pytest --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
        --nbval-cell-timeout=600 tests/notebooks || rc=$?
    explain "nbval" "$rc"
    [[ $rc -eq 0 ]] || status=1
fi
exit "$status"
