"""Objects that exist when a server starts are left out of its garbage collections while it serves."""

from __future__ import annotations

import gc
import weakref

from conectafy.gc_pauses import startup_objects_frozen


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_objects_from_before_the_start_are_not_walked_while_serving() -> None:
    before = _Node()
    with startup_objects_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(each is before for each in gc.get_objects())


def test_garbage_made_while_serving_is_still_collected() -> None:
    with startup_objects_frozen():
        node = _Node()
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None


def test_everything_is_collectable_again_after_the_server_stops() -> None:
    node = _Node()
    gone = weakref.ref(node)
    with startup_objects_frozen():
        del node
        gc.collect()
        assert gone() is not None  # frozen garbage waits
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None
