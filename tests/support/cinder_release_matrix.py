"""
What each OpenStack release's cinder defines for a Datera backend, read from its sdist.

For every release the formula accepts that has a cinder sdist on PyPI (Ocata, cinder 10, to
2026.2, cinder 29), this downloads the sdist (no install, nothing imported or run), reads the
Datera driver's module and the files that define the options the formula writes, and finds,
statically with ``ast``:

- the module path of the ``DateraDriver`` class (what ``volume_driver`` names);
- every option the Datera driver defines (name, ``cfg.*Opt`` type, default);
- the generic options the formula writes into a backend section or ``[DEFAULT]``
  (:data:`GENERIC`), with the file that defines them.

The result is the committed table ``tests/fixtures/cinder-datera-options.json``; regenerate
it with (downloads about 120 MB once, cached in ``.venv/cache/cinder-sdists/``)::

    .venv/bin/python -m tests.support.cinder_release_matrix --write

which takes the newest final release of each cinder series on PyPI. ``--check RELEASE...``
re-derives the named releases from the sdists the table records (same version, checked
against the recorded sha256) and exits non-zero if anything differs.
"""

import argparse
import ast
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.paths import FIXTURES, REPO

TABLE = FIXTURES / "cinder-datera-options.json"
CACHE = REPO / ".venv" / "cache" / "cinder-sdists"
INDEX = "https://pypi.org/pypi/cinder/json"

# OpenStack release -> cinder's major version (cinder 10.0.0 was Ocata; one a release since).
SERIES = {
    "ocata": 10,
    "pike": 11,
    "queens": 12,
    "rocky": 13,
    "stein": 14,
    "train": 15,
    "ussuri": 16,
    "victoria": 17,
    "wallaby": 18,
    "xena": 19,
    "yoga": 20,
    "zed": 21,
    "2023.1": 22,
    "2023.2": 23,
    "2024.1": 24,
    "2024.2": 25,
    "2025.1": 26,
    "2025.2": 27,
    "2026.1": 28,
    "2026.2": 29,
}

# Options outside the Datera driver's own that the formula may write.
GENERIC = (
    "enabled_backends",
    "host",
    "backend_host",
    "volume_driver",
    "volume_backend_name",
    "san_ip",
    "san_login",
    "san_password",
    "san_thin_provision",
    "use_chap_auth",
    "chap_username",
    "chap_password",
    "reserved_percentage",
    "max_over_subscription_ratio",
    "image_volume_cache_enabled",
)
# Where cinder defines them (the files are read when present in the sdist).
GENERIC_FILES = (
    "cinder/common/config.py",
    "cinder/cmd/volume.py",
    "cinder/volume/manager.py",
    "cinder/volume/driver.py",
    "cinder/volume/drivers/san/san.py",
)
_DRIVER_FILE = re.compile(r"^cinder/volume/drivers/datera(\.py|/[a-z0-9_]+\.py)$")
_FINAL = re.compile(r"^\d+(\.\d+)*$")


def _get(url, timeout=120):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https only
        return response.read()


def newest_sdists():
    """``{release: {"version", "filename", "url", "sha256"}}``: newest final sdist per series."""
    index = json.loads(_get(INDEX))
    found = {}
    for version, files in index["releases"].items():
        if not _FINAL.match(version):
            continue
        major = int(version.split(".")[0])
        key = tuple(int(part) for part in version.split("."))
        for entry in files:
            if entry["packagetype"] == "sdist" and (major not in found or key > found[major][0]):
                found[major] = (key, version, entry)
    out = {}
    for release, major in SERIES.items():
        _, version, entry = found[major]
        out[release] = {
            "version": version,
            "filename": entry["filename"],
            "url": urllib.parse.urljoin(INDEX, entry["url"]),
            "sha256": entry["digests"]["sha256"],
        }
    return out


def sdist(source, cache=CACHE):
    """The sdist's bytes, from the cache or downloaded (then cached); sha256 checked."""
    path = Path(cache) / source["filename"]
    data = path.read_bytes() if path.exists() else _get(source["url"])
    if hashlib.sha256(data).hexdigest() != source["sha256"]:
        raise ValueError(f"{source['filename']}: sha256 differs from PyPI's")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return data


def _literal(node):
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return {"expression": ast.unparse(node)}


def options_of(source):
    """``{name: {"type", "default"}}`` for every ``cfg.XxxOpt('name', ...)`` in ``source``."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        kind = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if not (kind.endswith("Opt") and isinstance(first, ast.Constant)):
            continue
        if not isinstance(first.value, str):
            continue
        default = next((k.value for k in node.keywords if k.arg == "default"), None)
        found.setdefault(first.value, {"type": kind, "default": _literal(default)})
    return found


def _driver_classes(path, source):
    module = path[: -len(".py")].replace("/", ".")
    tree = ast.parse(source)
    return [
        f"{module}.{node.name}"
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "DateraDriver"
    ]


def derive(data):
    """The table entry of one sdist (its bytes): driver paths, Datera and generic options."""
    drivers, datera, generic = [], {}, {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[-1]
            is_driver = bool(_DRIVER_FILE.match(inner))
            if not member.isfile() or not (is_driver or inner in GENERIC_FILES):
                continue
            source = tar.extractfile(member).read().decode("utf-8")
            options = options_of(source)
            if is_driver:
                drivers += _driver_classes(inner, source)
                for name, spec in options.items():
                    datera.setdefault(name, dict(spec, file=inner))
            for name in GENERIC:
                if name in options:
                    generic.setdefault(name, dict(options[name], file=inner))
    return {
        "driver": sorted(drivers),
        "datera_options": dict(sorted(datera.items())),
        "generic_options": dict(sorted(generic.items())),
    }


def entry(release, source, cache=CACHE):
    return {"cinder": source["version"], "sdist": source, **derive(sdist(source, cache))}


def write(path=TABLE, cache=CACHE):
    sources = newest_sdists()
    table = {
        "source": "tests/support/cinder_release_matrix.py --write",
        "releases": {release: entry(release, sources[release], cache) for release in SERIES},
    }
    Path(path).write_text(json.dumps(table, indent=1, sort_keys=False) + "\n")
    return table


def check(releases, path=TABLE, cache=CACHE):
    """Re-derive ``releases`` from their recorded sdists; return the ones that differ."""
    table = json.loads(Path(path).read_text())["releases"]
    return [
        release
        for release in releases
        if entry(release, table[release]["sdist"], cache) != table[release]
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help=f"rewrite {TABLE.name}")
    group.add_argument("--check", nargs="+", metavar="RELEASE", help="re-derive and compare")
    args = parser.parse_args(argv)
    if args.write:
        table = write()
        for release, row in table["releases"].items():
            print(release, row["cinder"], ", ".join(row["driver"]), len(row["datera_options"]))
        return 0
    differ = check(args.check)
    print("differ:", ", ".join(differ) or "none")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
