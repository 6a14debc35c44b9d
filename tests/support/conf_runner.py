"""
Run the formula's cinder.conf editor in a process of its own, outside Salt:
``python -m tests.support.conf_runner <cinder.conf> <pillar.yaml[,pillar2.yaml...]> [--loop]``
(with ``--loop`` it applies the pillars in turn, forever, so every pass rewrites the file).
Fault tests kill, limit or race such processes.
"""

import json
import sys

import yaml

from tests.support.loaders import load, utils_dunder


def editor(pillar_files):
    datera_conf = load("modules", "datera_conf")
    datera_pillar = load("modules", "datera_pillar")

    turn = {"next": 0}

    def settings(reveal=False):  # cycles through the pillar files, one per call
        pillar_file = pillar_files[turn["next"] % len(pillar_files)]
        turn["next"] += 1
        with open(pillar_file) as handle:
            return datera_pillar.normalise(yaml.safe_load(handle)["datera"])

    datera_conf.__salt__ = {"datera_pillar.settings": settings}
    datera_conf.__utils__ = utils_dunder()
    return datera_conf


def main(argv):
    conf_file, pillar_files = argv[0], argv[1].split(",")
    datera_conf = editor(pillar_files)
    while True:
        result = datera_conf.apply(conf_file)
        if "--loop" not in argv:
            print(json.dumps(sorted(result["changes"])))
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
