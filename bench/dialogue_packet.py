"""How long the dialogue-meeting packet (PDF) takes for the demo call: the database reads, the
charts and the map, and WeasyPrint, as the packet route does them.

    .venv/bin/python bench/dialogue_packet.py [--runs 5]
    .venv/bin/python bench/dialogue_packet.py --database-url sqlite:////path/demo.sqlite

Without --database-url the demo is built in a fresh SQLite file in a temporary folder (the
migrations, the reference data and `demo-data`, which takes a minute); with it, the given
database must hold the demo call already (e.g. after `make demo`). Printed: the first run
(cold: fonts, templates and the map geometry loaded) and the median and slowest of the
following runs, each split into the context (database, charts, map) and the PDF rendering,
with the packet's size, and the CPU time a packet costs (on a busy machine the wall-clock
time is mostly waiting for a core). The target is under 3 seconds per packet; the exit status
is 1 when the median is above it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 3.0


def _app(database_url: str, folder: Path) -> Any:
    from portal import create_app
    from tests.conftest import app_config

    return create_app(app_config(database_url, folder, SECRET_KEY="bench"))


def _build_demo(app: Any) -> None:
    from portal import db, migrate
    from portal.demo import load_demo_data
    from portal.reference import load_reference_data

    with app.app_context():
        migrate.upgrade(db.engine())
        load_reference_data(db.session())
        load_demo_data(db.session())
        db.session().commit()


def _one_run(app: Any) -> tuple[float, float, int, float]:
    from sqlalchemy import select

    from portal import db
    from portal.demo import DEMO_CALL_TITLE
    from portal.dialogue import packet
    from portal.models import Call, User
    from portal.pdf import render_pdf

    with app.app_context(), app.test_request_context():
        session = db.session()
        call = session.scalar(select(Call).where(Call.title == DEMO_CALL_TITLE))
        viewer = session.scalar(select(User).where(User.email == "parter@demo.dk"))
        if call is None or viewer is None:
            raise SystemExit("the database holds no demo call: run `make demo` or omit the URL")
        start, cpu = time.perf_counter(), time.process_time()
        context = packet.packet_context(session, call, viewer)
        middle = time.perf_counter()
        pdf = render_pdf("pdf/dialogue_packet.html", context)
        end, cpu = time.perf_counter(), time.process_time() - cpu
        session.close()
    return middle - start, end - middle, len(pdf), cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database that holds the demo call")
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'demo.sqlite'}"
        app = _app(url, folder)
        if not args.database_url:
            print("building the demo database …", flush=True)
            _build_demo(app)
        runs = [_one_run(app) for _ in range(args.runs + 1)]
        app.extensions["db_engine"].dispose()
    first, warm = runs[0], runs[1:]
    totals = [c + r for c, r, _size, _cpu in warm]
    median = statistics.median(totals)
    print(
        f"first run:  {first[0] + first[1]:.2f} s "
        f"(context {first[0]:.2f} s, PDF {first[1]:.2f} s), {first[2] / 1024:.0f} KiB"
    )
    print(
        f"warm runs:  median {median:.2f} s, slowest {max(totals):.2f} s over {len(warm)} runs "
        f"(context median {statistics.median(c for c, _r, _s, _u in warm):.2f} s, "
        f"PDF median {statistics.median(r for _c, r, _s, _u in warm):.2f} s)"
    )
    print(
        f"CPU time:   median {statistics.median(u for *_rest, u in warm):.2f} s per packet "
        "(what the wall-clock time comes to on an idle machine)"
    )
    ok = median < TARGET_SECONDS and first[0] + first[1] < TARGET_SECONDS
    print(f"target:     under {TARGET_SECONDS:.0f} s per packet – {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
