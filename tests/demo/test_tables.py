"""What the demo's API server computes for lists: selectors, printer-column JSONPaths, the sessions Table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conectafy.crd import build_crd
from conectafy.demo.tables import age, json_path, select, session_table

SESSION = {
    "metadata": {"name": "support", "labels": {"tier": "gold"}, "creationTimestamp": "2026-12-01T10:00:00Z"},
    "spec": {"engine": "GOWS"},
    "status": {
        "phase": "Connected",
        "phoneNumber": "+15550001111",
        "conditions": [{"type": "Connected", "status": "True"}, {"type": "Ready", "status": "True"}],
    },
}
EVENT = {"metadata": {"name": "e1"}, "involvedObject": {"name": "support", "kind": "WhatsAppSession"}}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (".status.phase", "Connected"),
        ('.status.conditions[?(@.type=="Ready")].status', "True"),
        ('.status.conditions[?(@.type=="Gone")].status', None),
        (".status.image", None),
    ],
)
def test_json_path_reads_printer_column_forms(path: str, value: object) -> None:
    assert json_path(SESSION, path) == value


@pytest.mark.parametrize(
    ("labels", "fields", "names"),
    [
        (None, None, ["support", "e1"]),
        ("tier=gold", None, ["support"]),
        ("tier!=gold", None, ["e1"]),
        ("!tier", None, ["e1"]),
        (None, "involvedObject.name=support,involvedObject.kind=WhatsAppSession", ["e1"]),
        (None, "involvedObject.name=sales", []),
    ],
)
def test_select_applies_label_and_field_selectors(
    labels: str | None, fields: str | None, names: list[str]
) -> None:
    assert [item["metadata"]["name"] for item in select([SESSION, EVENT], labels, fields)] == names


@pytest.mark.parametrize(
    ("created", "shown"),
    [
        ("2026-12-03T10:00:00Z", "0s"),
        ("2026-12-03T09:59:15Z", "45s"),
        ("2026-12-03T07:00:00Z", "3h"),
        ("2026-11-30T10:00:00Z", "3d"),
        (None, "<unknown>"),
    ],
)
def test_age_is_the_largest_unit_that_fits(created: str | None, shown: str) -> None:
    assert age(created, datetime(2026, 12, 3, 10, 0, tzinfo=UTC)) == shown


def test_session_table_has_the_crds_printer_columns() -> None:
    table = session_table(
        [SESSION], build_crd(), {"resourceVersion": "7"}, datetime(2026, 12, 3, 10, tzinfo=UTC)
    )
    assert (
        [(c["name"], c["priority"]) for c in table["columnDefinitions"]],
        [row["cells"] for row in table["rows"]],
        table["rows"][0]["object"]["metadata"]["name"],
    ) == (
        [("Name", 0), ("Phase", 0), ("Phone", 0), ("Engine", 0), ("Ready", 0), ("Age", 0), ("Image", 1)],
        [["support", "Connected", "+15550001111", "GOWS", "True", "2d", None]],
        "support",
    )
