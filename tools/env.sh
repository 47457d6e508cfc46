#!/usr/bin/env bash
# Create or update the project's virtual environment (default: .venv at the repo root).
#
#   tools/env.sh            # create .venv if missing, (re)install only when inputs changed
#   VENV=/tmp/v tools/env.sh
#   PYTHON=python3.12 tools/env.sh
#
# The environment is up to date when the stamp file inside it records the same hash of
# pyproject.toml + constraints-cpu.txt + interpreter version; then nothing is installed.
# torch/torchvision are pinned by constraints-cpu.txt (CPU wheels); pyproject keeps loose ranges
# for Colab. Conda users can use environment.yml instead (then this script is not needed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${VENV:-.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.gift-env-stamp"
extras="${GIFT_EXTRAS:-book,test}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "[env] creating virtual environment $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv"
fi

want="$(
    {
        cat pyproject.toml constraints-cpu.txt
        echo "extras=$extras"
        "$venv/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "[env] $venv is up to date (stamp $(cut -c1-12 "$stamp"))"
    exit 0
fi

echo "[env] installing gift-companion[$extras] into $venv (constraints-cpu.txt)"
start=$SECONDS
"$venv/bin/python" -m pip install --quiet -c constraints-cpu.txt -e ".[$extras]"
echo "$want" > "$stamp"
echo "[env] done in $((SECONDS - start)) s"
