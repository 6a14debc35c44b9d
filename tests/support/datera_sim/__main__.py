"""Run the simulator in the foreground: ``python -m tests.support.datera_sim --help``."""

import argparse
import shutil
import signal
import threading

from .api import VERSIONS
from .server import DateraSimulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.support.datera_sim")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=7717)
    parser.add_argument("--https-port", type=int, default=7718)
    parser.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD", help="repeatable"
    )
    parser.add_argument(
        "--api-version", action="append", choices=VERSIONS, help="repeatable (default: all)"
    )
    parser.add_argument("--ca-out", help="copy the CA certificate (PEM) here")
    args = parser.parse_args(argv)
    users = dict(u.split(":", 1) for u in args.user) or {"admin": "password"}
    versions = args.api_version or VERSIONS
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with DateraSimulator(
        args.host, args.http_port, args.https_port, users=users, versions=versions
    ) as sim:
        if args.ca_out:
            shutil.copyfile(sim.ca_pem_path, args.ca_out)
        print(
            f"datera-sim: http://{sim.host}:{sim.http_port} https://{sim.host}:{sim.https_port}"
            f" users={','.join(users)} versions={','.join(versions)}"
            f" ca={args.ca_out or sim.ca_pem_path}"
            f" sha256={sim.cert_fingerprint}",
            flush=True,
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
