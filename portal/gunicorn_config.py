"""gunicorn settings for the portal:

    gunicorn -c python:portal.gunicorn_config --workers 4 'portal:create_app()'

The settings here concern Python's cyclic garbage collector. A worker holds some 260,000
objects that live as long as it does (the modules, the app, SQLAlchemy's mappers, the
templates, the reference data). A full collection walks all of them and holds the request in
hand for 120-300 ms; it happens by itself now and then, and under load every request queued
behind that worker waits for it. `gc.freeze()` moves the objects alive at that moment out of
the collector's reach, so later full collections walk only what is newer (the same advice as
the `gc` module's documentation gives for processes that fork).

Objects are frozen three times: in the master before it forks (the app is preloaded, so that is
the whole app, and the workers then share those memory pages instead of copying them as a
collection touches each object), in the worker as it starts, and once more after
the worker's first `SETTLED_AFTER_REQUESTS` requests, by when the caches that fill on first use
(compiled SQL and templates, translations) are full. Frozen objects are never freed by the
collector, so the late freeze first collects the young generations (0.1 ms): the garbage then
frozen with the rest is what had reached the oldest generation, measured at 30-480 objects once
per worker, where a full collection would stall the worker for 5-7 ms of CPU (up to 40 ms under
load).

Everything else (workers, bind address, timeouts) is given on the command line as usual;
`--preload` is implied.
"""

from __future__ import annotations

import gc
from typing import Any

# The app is imported once in the master, before the workers fork (it keeps no database
# connection open), so the freeze before forking covers it and the workers share its
# memory. A code change then needs a restart rather than `kill -HUP`.
preload_app = True

SETTLED_AFTER_REQUESTS = 200


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    gc.freeze()


_settled = False  # per worker process: set after the fork


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    # `nr` counts the worker's requests, this one included; with threads it may skip a value.
    global _settled
    if not _settled and worker.nr >= SETTLED_AFTER_REQUESTS:
        _settled = True
        gc.collect(1)
        gc.freeze()
