#!/usr/bin/env bash
# End-to-end tests of the web UI in headless Chromium, against a real `waggle serve` on
# SQLite and on PostgreSQL. Installs what it needs (Debian's chromium and chromium-driver,
# a virtualenv with the pinned Python packages), builds the binary, runs pytest.
# Exits non-zero on failure; pytest prints its summary line.
#
#   tests/browser/run.sh                 # both backends
#   tests/browser/run.sh -k sqlite       # extra arguments go to pytest
#
# Environment: WAGGLE_BIN (skip the build and use this binary), WAGGLE_TEST_PG_HOST
# (default 127.0.0.1), CI (PostgreSQL missing is then a failure, not a skip).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q chromium chromium-driver >/dev/null
fi

venv="$root/target/browser-venv"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    echo "preparing the Python environment in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi

if [ -z "${WAGGLE_BIN:-}" ]; then
    cargo build -q --bin waggle
    export WAGGLE_BIN="$root/target/debug/waggle"
fi

mkdir -p "$root/test-output/screenshots"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs "$here" "$@"
