"""The gunicorn settings freeze what a worker holds for good, so full collections stay short.

The reliability suite runs every server with these settings (tests/reliability); here the hooks
are called directly and what the collector can still see is checked."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from portal import gunicorn_config


class Node:
    """A tracked object that can be watched through a weak reference."""

    def __init__(self) -> None:
        self.me = self


def seen_by_collector(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


@pytest.fixture
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing frozen, and a worker that has not settled yet."""
    monkeypatch.setattr(gunicorn_config, "_settled", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("hook", ["pre_fork", "post_worker_init"])
def test_booting_freezes_what_is_alive(unfrozen: None, hook: str) -> None:
    kept = Node()
    assert seen_by_collector(kept)
    if hook == "pre_fork":
        gunicorn_config.pre_fork(SimpleNamespace(), SimpleNamespace(nr=0))
    else:
        gunicorn_config.post_worker_init(SimpleNamespace(nr=0))
    assert gc.get_freeze_count() > 0
    assert not seen_by_collector(kept)
    later = Node()
    assert seen_by_collector(later)


@pytest.mark.parametrize("step", [1, 2], ids=["counted one by one", "a count skipped"])
def test_a_settled_worker_frees_its_garbage_and_freezes_the_rest(unfrozen: None, step: int) -> None:
    worker = SimpleNamespace(nr=gunicorn_config.SETTLED_AFTER_REQUESTS - 1)
    gc.disable()  # no collection of its own between the steps below
    try:
        kept = Node()
        garbage = Node()
        gone = weakref.ref(garbage)
        del garbage

        gunicorn_config.post_request(worker, None, {}, None)
        assert seen_by_collector(kept), "frozen before the worker settled"
        assert gone() is not None

        worker.nr += step  # with threads, another request may be counted in between
        gunicorn_config.post_request(worker, None, {}, None)
        assert gone() is None, "the cycle was frozen instead of freed"
        assert not seen_by_collector(kept)

        worker.nr += 1
        after = Node()
        gunicorn_config.post_request(worker, None, {}, None)
        assert seen_by_collector(after), "froze again after settling"
    finally:
        gc.enable()
