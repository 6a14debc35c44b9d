#!/usr/bin/env bash
# The demo: set up, start a salt-master and three simulated controllers on loopback with a
# simulated Datera cluster, deploy with `salt-run state.orchestrate datera.deploy`, show the
# result and whether a re-run changed anything. Exits non-zero if the deploy or the re-run
# fails or the re-run changes something.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
exec .venv/bin/python -m tests.support.demo "$@"
