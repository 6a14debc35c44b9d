#!/usr/bin/env bash
# The demo: set up, start a salt-master and three simulated controllers on loopback,
# deploy Datera with `salt-run state.orchestrate datera.deploy`, print the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
.venv/bin/python -m pytest tests/demo -q -p no:cacheprovider
