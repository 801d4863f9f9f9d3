"""docs/reference.md stays true: every setting, label/annotation, metric, reason, CLI command and
resource field the code defines must be documented there.

Each list below is read from the code at test time, so adding a setting or a metric without a line in
the reference fails here, naming what is missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from conectafy import labels
from conectafy.api import metrics
from conectafy.cli import app
from conectafy.operator import metrics as operator_metrics
from conectafy.operator.status import Reason
from conectafy.session import WhatsAppSessionSpec, WhatsAppSessionStatus
from conectafy.settings import ApiSettings, OperatorSettings

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
TEXT = REFERENCE.read_text()
#: Markdown table rows only, so a name mentioned in passing prose does not count as documented.
ROWS = [line for line in TEXT.splitlines() if line.startswith("|")]


def _documented(code: str) -> list[str]:
    """Table rows that show `code` as inline code."""
    return [row for row in ROWS if f"`{code}`" in row]


def _env_names(settings: type[BaseSettings]) -> list[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return [f"{prefix}{name}".upper() for name in settings.model_fields]


def _label_keys() -> list[str]:
    return sorted(
        value
        for name, value in vars(labels).items()
        if name.isupper() and name != "DOMAIN" and isinstance(value, str)
    )


def _metrics() -> list[MetricWrapperBase]:
    modules = (metrics, operator_metrics)
    return [
        value for module in modules for value in vars(module).values() if isinstance(value, MetricWrapperBase)
    ]


def _family(metric: MetricWrapperBase) -> tuple[str, str]:
    """(name as /metrics shows it, type); a counter's family name lacks the `_total` it is exposed with."""
    family = next(iter(metric.describe()))
    return (f"{family.name}_total" if family.type == "counter" else family.name), family.type


def _metric_id(metric: MetricWrapperBase) -> str:
    return _family(metric)[0]


def _chart_values(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf of values.yaml; a preset counts as one value."""
    paths = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and prefix != "resourcePresets.":
            paths.extend(_chart_values(value, f"{path}."))
        else:
            paths.append(path)
    return paths


def _commands() -> list[str]:
    return sorted(str(command.name) for command in app.registered_commands)


def _reasons() -> list[str]:
    return sorted(value for name, value in vars(Reason).items() if name.isupper())


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted camelCase paths of a model's fields, one level into nested models."""
    paths = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        nested = field.annotation
        inner = [arg for arg in getattr(nested, "__args__", ()) if isinstance(arg, type)]
        candidates = [nested, *inner]
        sub = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if sub is not None and not prefix and sub.__name__ != "Condition":
            paths.extend(_fields(sub, f"{alias}."))
        else:
            paths.append(f"{prefix}{alias}")
    return paths


@pytest.mark.parametrize("env", _env_names(OperatorSettings))
def test_operator_setting_is_documented(env: str) -> None:
    assert _documented(env), f"{env} (OperatorSettings) is missing from {REFERENCE.name}"


@pytest.mark.parametrize("env", _env_names(ApiSettings))
def test_api_setting_is_documented(env: str) -> None:
    assert _documented(env), f"{env} (ApiSettings) is missing from {REFERENCE.name}"


@pytest.mark.parametrize("key", _label_keys())
def test_label_or_annotation_is_documented(key: str) -> None:
    assert _documented(key), f"label/annotation {key} is missing from {REFERENCE.name}"


@pytest.mark.parametrize("metric", _metrics(), ids=_metric_id)
def test_metric_is_documented_with_its_type_and_labels(metric: MetricWrapperBase) -> None:
    """The metric's row names its exposed name, its type and every label it carries, in order."""
    name, kind = _family(metric)
    rows = _documented(name)
    assert len(rows) == 1, f"{name} needs exactly one row in {REFERENCE.name}"
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    documented_labels = re.findall(r"`([a-z_]+)`", cells[2])
    assert (cells[1], documented_labels) == (kind, list(getattr(metric, "_labelnames", ())))


@pytest.mark.parametrize("command", _commands())
def test_cli_command_is_documented(command: str) -> None:
    assert [row for row in ROWS if re.search(rf"`{re.escape(command)}\b", row)], (
        f"CLI command {command} is missing from {REFERENCE.name}"
    )


@pytest.mark.parametrize("reason", _reasons())
def test_condition_reason_is_documented(reason: str) -> None:
    assert [row for row in ROWS if reason in row], f"reason {reason} is missing from {REFERENCE.name}"


@pytest.mark.parametrize("path", _fields(WhatsAppSessionSpec))
def test_spec_field_is_documented(path: str) -> None:
    assert _documented(path), f"spec.{path} is missing from {REFERENCE.name}"


@pytest.mark.parametrize("path", _fields(WhatsAppSessionStatus))
def test_status_field_is_documented(path: str) -> None:
    assert _documented(path) or _documented(f"{path}[]"), f"status.{path} is missing from {REFERENCE.name}"


@pytest.mark.parametrize(
    "path", _chart_values(yaml.safe_load((ROOT / "helm/conectafy/values.yaml").read_text()))
)
def test_chart_value_is_documented(path: str) -> None:
    assert _documented(path), f"chart value {path} is missing from {REFERENCE.name}"
