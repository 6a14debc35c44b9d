#!/usr/bin/env bash
# Set up and run every check: lint (pre-commit), the test suite (unit, functional, integration,
# fidelity), then the test report (from this run's JUnit XML) and the docs build, warnings
# as errors. Artifacts (JUnit XML, the built docs) go to artifacts/ and docs/_build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
mkdir -p artifacts
# ruff, salt-lint, yamllint, shellcheck (.pre-commit-config.yaml)
PATH="$PWD/.venv/bin:$PATH" pre-commit run --all-files --show-diff-on-failure
status=0
.venv/bin/python -m pytest --junitxml=artifacts/junit.xml "$@" || status=$?
bench=()
if [ -f artifacts/bench.json ]; then bench=(--bench artifacts/bench.json); fi
.venv/bin/python docs/junit_report.py artifacts/junit.xml docs/_generated/test-report.rst "${bench[@]}"
.venv/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html
echo "docs: docs/_build/html/index.html (test report: docs/_build/html/test-report.html)"
# the operator pages in headless Chromium at 1280 px: nothing scrolls sideways; screenshots
.venv/bin/python docs/check_layout.py docs/_build/html --shots artifacts/docs-shots || status=1
exit "$status"
