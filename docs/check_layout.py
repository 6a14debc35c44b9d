"""
Look at the built docs the way an operator's browser shows them: every operator page opened
in headless Chromium at 1280 px; fails if a code block or a table would scroll sideways or the
page shows a markup error, and keeps a screenshot of each page's first screen to look at.

    .venv/bin/python docs/check_layout.py docs/_build/html [--shots artifacts/docs-shots]

Needs Debian's ``chromium`` (``tests/setup.sh`` installs it). ``tests/run.sh`` runs it after
the docs build.
"""

import argparse
import functools
import html
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = ("index", "deployment", "user-guide", "pillar", "reference")
WIDTH = 1280
# Loads the page in a 1280 px frame of the same origin and lists what overflows.
PROBE = """<!doctype html><html><body><pre id="out">no result</pre>
<iframe id="f" style="width:WIDTHpx;height:800px;border:0"></iframe>
<script>
const f = document.getElementById("f");
f.onload = () => {
  const wide = [];
  for (const el of f.contentDocument.querySelectorAll("pre, table")) {
    if (el.scrollWidth > el.clientWidth + 1) {
      wide.push([el.tagName, el.scrollWidth - el.clientWidth, el.textContent.trim().slice(0, 70)]);
    }
  }
  for (const el of f.contentDocument.querySelectorAll(".contents, .system-message")) {
    wide.push([el.className, 0, "shown as an error (furo has its own page contents)"]);
  }
  document.getElementById("out").textContent = "RESULT " + JSON.stringify(wide);
};
f.src = new URLSearchParams(location.search).get("page");
</script></body></html>
""".replace("WIDTH", str(WIDTH))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},900",
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def chromium(profile, *args):
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def overflowing(profile, base, page):
    dom = chromium(profile, "--virtual-time-budget=10000", "--dump-dom",
                   f"{base}/_layout_probe.html?page={page}.html")  # fmt: skip
    marker = dom.find("RESULT ")
    if marker < 0:
        raise SystemExit(f"{page}.html: the probe gave no result")
    return json.loads(html.unescape(dom[marker + 7 :].split("</pre>")[0]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--shots", type=Path, default=Path("artifacts/docs-shots"))
    args = parser.parse_args(argv)
    if not shutil.which("chromium"):
        raise SystemExit("chromium is not installed (bash tests/setup.sh installs it)")
    (args.site / "_layout_probe.html").write_text(PROBE)
    handler = functools.partial(_QuietHandler, directory=str(args.site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    args.shots.mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        with tempfile.TemporaryDirectory() as profile:
            for page in PAGES:
                wide = overflowing(profile, base, page)
                problems += [f"{page}.html: {tag} {over} px too wide: {text!r}"
                             for tag, over, text in wide]  # fmt: skip
                chromium(profile, f"--screenshot={args.shots / page}.png", f"{base}/{page}.html")
                print(f"{page}.html: {len(wide)} element(s) scroll sideways; "
                      f"screenshot {args.shots / page}.png")  # fmt: skip
    finally:
        server.shutdown()
        (args.site / "_layout_probe.html").unlink()
    print("\n".join(problems) or f"nothing scrolls sideways at {WIDTH} px")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
