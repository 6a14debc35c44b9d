#!/usr/bin/env bash
# Set up and run every check: lint, the test suite (unit, functional, integration,
# fidelity), the docs build. Artifacts (JUnit XML, logs) go to artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
mkdir -p artifacts
.venv/bin/ruff check .
.venv/bin/python -m pytest --junitxml=artifacts/junit.xml "$@"
