"""
Run the formula's cinder.conf editor in a process of its own, outside Salt:
``python -m tests.support.conf_runner <cinder.conf> <pillar.yaml>``; prints the changed
sections as JSON. (The fault tests that kill, race or starve a writer run the real
``salt-call`` instead: tests/support/salt_call.py.)
"""

import json
import sys

import yaml

from tests.support.loaders import load


def editor(pillar_file):
    datera_conf = load("modules", "datera_conf")
    datera_pillar = load("modules", "datera_pillar")

    def settings(reveal=False):
        with open(pillar_file) as handle:
            return datera_pillar._normalise(yaml.safe_load(handle)["datera"])

    datera_conf.__salt__ = {"datera_pillar.settings": settings}
    return datera_conf


def main(argv):
    conf_file, pillar_file = argv
    result = editor(pillar_file).apply(conf_file)
    print(json.dumps(sorted(result["changes"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
