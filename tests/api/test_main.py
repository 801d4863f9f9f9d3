"""The app's lifespan, as a server process runs it."""

from __future__ import annotations

import gc

from fastapi import FastAPI


def test_start_up_objects_are_frozen_while_the_app_serves(app: FastAPI) -> None:
    assert gc.get_freeze_count() > 10_000  # modules, routes, models: out of every full collection
