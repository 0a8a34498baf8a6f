"""The what-if round trip at the meeting: from the click to the compared proposal on screen.

    .venv/bin/python bench/whatif_roundtrip.py [--rounds 5]

Seeds the demo (its call has published decisions and a computed proposal at region
granularity) into a temporary SQLite database, starts the portal (werkzeug, threaded) and one
worker process on the embedded SQLite queue, signs in as the lead and, per round, posts a
what-if from the demo proposal (lock an a-kasse in or out), then follows the run page until it
hands over to the new proposal page. Prints each round and the minimum, median and maximum in
seconds. Loopback only; every wait is bounded; the server and worker stop at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "portal"]
# (field, a-kasse): lock in one that the demo proposal leaves out, or lock out a chosen one
CHANGES = [
    ("whatif-include", "BUPL-A"),
    ("whatif-exclude", "EL"),
    ("whatif-exclude", "DFH"),
    ("whatif-exclude", "MinA"),
    ("whatif-exclude", "NNF"),
]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the portal did not answer at {url}")


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[str, str]:
        body = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            messages = re.findall(r'class="alert-text">(.*?)</p>', text, re.S)
            raise SystemExit(f"POST {path}: {error.code} {messages[:2]}") from error

    def token(self, html: str) -> str:
        found = TOKEN.search(html)
        if found is None:
            raise SystemExit("no CSRF token on the page")
        return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 11))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="whatif-bench-"))
    env = {
        **os.environ,
        "FLASK_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite'}",
        "FLASK_QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite'}",
        "FLASK_OUTBOX_DIR": str(folder / "outbox"),
        "FLASK_UPLOAD_DIR": str(folder / "uploads"),
        "FLASK_DEMO_MODE": "true",
    }
    for command in (["db-upgrade"], ["load-reference-data"], ["demo-data"]):
        subprocess.run(FLASK + command, env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        FLASK + ["run", "--port", str(port), "--with-threads"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        FLASK + ["worker", "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/login", time.monotonic() + 30)
        client = Client(base)
        _, page = client.get("/login")
        client.post(
            "/login",
            [("email", "leder@demo.dk"), ("password", "demo"), ("csrf_token", client.token(page))],
        )
        _, page = client.get("/udvaelgelse/forslag/1")
        if "Bevist optimal" not in page:
            raise SystemExit("the demo proposal is not on /udvaelgelse/forslag/1")
        seconds = []
        for index in range(args.rounds):
            name, fund = CHANGES[index % len(CHANGES)]
            _, page = client.get("/udvaelgelse/forslag/1")
            started = time.perf_counter()
            url, _ = client.post(
                "/udvaelgelse/forslag/1/hvad-hvis",
                [("whatif-csrf_token", client.token(page)), (name, fund)],
            )
            deadline = time.monotonic() + 60
            while "/forslag/" not in url:
                if time.monotonic() > deadline:
                    raise SystemExit(f"round {index + 1}: no proposal within 60 s ({url})")
                time.sleep(0.1)
                url, page = client.get(urllib.parse.urlsplit(url).path)
            elapsed = time.perf_counter() - started
            if "Sammenlignet med beregning" not in page:
                raise SystemExit(f"round {index + 1}: the page does not compare with the base")
            seconds.append(elapsed)
            print(f"round {index + 1}: {name.split('-')[1]} {fund:<7} {elapsed:6.2f} s")
        print(
            f"what-if round trip over {len(seconds)} rounds: min {min(seconds):.2f} s, "
            f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s"
        )
    finally:
        for process in (worker, server):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
