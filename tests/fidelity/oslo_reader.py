"""
Runs inside the real cinder's virtualenv (.venv-cinder): reads cinder.conf texts the way
cinder does, with oslo.config's own ``cfg.ConfigParser``, one per line of JSON on stdin,
and answers each with one line of JSON on stdout, so that one process serves thousands:

- ``{"error": [lineno, message]}`` when oslo.config refuses the text;
- else ``{"groups": {group: {key: [value, ...]}}, "enabled_backends": [...] or null}``:
  every assignment by oslo's (normalised) group name, in file order, and
  ``[DEFAULT] enabled_backends`` as cinder's ListOpt reads it.

Usage: python oslo_reader.py  (stdin: ``{"text": "..."}`` lines)
"""

import json
import os
import sys
import tempfile

from oslo_config import cfg, types


def read(path):
    sections, normalized = {}, {}
    parser = cfg.ConfigParser(path, sections)
    parser._add_normalized(normalized)
    try:
        parser.parse()
    except cfg.ParseError as err:
        return {"error": [err.lineno, err.msg]}
    raw = normalized.get("DEFAULT", {}).get("enabled_backends")
    return {
        "groups": normalized,
        "enabled_backends": None if raw is None else types.List()(raw[-1]),
    }


def main():
    with tempfile.TemporaryDirectory(prefix="oslo-reader-") as tmp:
        path = os.path.join(tmp, "cinder.conf")
        for line in sys.stdin:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(json.loads(line)["text"])
            sys.stdout.write(json.dumps(read(path)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
