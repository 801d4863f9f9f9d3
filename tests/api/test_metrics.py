"""Children: a labelled metric's children, looked up once per label values."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from conectafy.api.metrics import Children


class Probe:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.counter = Counter("probe", "A probe.", ["event"], registry=self.registry)

    def count(self, event: str) -> float | None:
        return self.registry.get_sample_value("probe_total", {"event": event})


def test_a_remembered_child_counts_on_the_metric() -> None:
    probe = Probe()
    children = Children(probe.counter)
    children("message").inc()
    children("message").inc()
    assert children("message") is probe.counter.labels("message")
    assert probe.count("message") == 2


def test_past_the_limit_children_are_counted_without_being_remembered() -> None:
    probe = Probe()
    children = Children(probe.counter, limit=1)
    for event in ("a", "b", "b"):
        children(event).inc()
    assert (probe.count("a"), probe.count("b")) == (1, 2)


def test_reset_drops_the_series_and_the_remembered_children() -> None:
    probe = Probe()
    children = Children(probe.counter)
    children("message").inc()
    children.reset()
    children("message").inc()
    assert probe.count("message") == 1
