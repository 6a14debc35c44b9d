#!/usr/bin/env bash
# Set up everything the demo and the tests need, from nothing; safe to re-run.
#  - Debian packages (as root): Pacemaker, corosync and resource-agents (live tier, CLI);
#    Graphviz and Chromium (docs);
#  - .venv: Salt 3008.4 + the test tools, pinned in setup.cfg ([options.extras_require]);
#  - Debian packages (as root): MariaDB and RabbitMQ (the end-to-end tier's control plane);
#  - .venv-cinder: the real cinder 29.0.0 with its Datera driver (fidelity tests), Keystone 30,
#    gunicorn, PyMySQL and python-openstackclient (end-to-end tier).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# The live tier (tests/live) runs a 3-node cluster on this machine: corosync, pacemakerd and
# ocf-tester besides the CLI; util-linux's unshare/nsenter and procps come with Debian.
if ! command -v cibadmin >/dev/null || ! command -v crm_simulate >/dev/null \
    || ! command -v corosync >/dev/null || ! command -v pacemakerd >/dev/null \
    || ! command -v ocf-tester >/dev/null || ! command -v xmllint >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      pacemaker-cli-utils pacemaker corosync resource-agents libxml2-utils procps util-linux \
      >/dev/null
  else
    echo "setup: Pacemaker missing; run as root or: sudo apt-get install pacemaker-cli-utils" \
      "pacemaker corosync resource-agents" >&2
    exit 1
  fi
fi

# The end-to-end tier (tests/live/test_openstack_e2e.py) runs a control plane on loopback:
# MariaDB and RabbitMQ, own instances started by the tests on this run's loopback address.
if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null \
    || [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server rabbitmq-server >/dev/null
  else
    echo "setup: MariaDB/RabbitMQ missing; run as root or: sudo apt-get install mariadb-server" \
      "rabbitmq-server" >&2
    exit 1
  fi
fi

# The docs: Graphviz draws the diagrams; Chromium looks at the built pages (check_layout.py).
if ! command -v dot >/dev/null || ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz chromium >/dev/null
  else
    echo "setup: graphviz/chromium missing; run as root or: sudo apt-get install graphviz chromium" >&2
    exit 1
  fi
fi

extras() {  # the pinned requirements of setup.cfg extras, one per line
  "$PYTHON" - "$@" <<'PY'
import configparser, sys
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
for extra in sys.argv[1:]:
    print("\n".join(r for r in cfg["options.extras_require"][extra].split("\n") if r.strip()))
PY
}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# The formula itself is not installed here: the tests load it from the working tree
# (file_roots + saltutil.sync_all) and check `pip install .` separately.
mapfile -t requirements < <(extras tests docs)
.venv/bin/pip install -q --disable-pip-version-check "${requirements[@]}" "requests>=2.25"

if [ ! -x .venv-cinder/bin/python ]; then
  "$PYTHON" -m venv .venv-cinder
fi
mapfile -t requirements < <(extras cinder)
.venv-cinder/bin/pip install -q --disable-pip-version-check "${requirements[@]}"
