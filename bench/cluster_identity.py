"""The benchmarked operator's own identity on a cluster, so its requests can be counted exactly.

`apiserver_request_total` has no client label: on a shared API server it also counts the
controller-manager, the scheduler and everyone else. API Priority and Fairness does classify by client:
a FlowSchema that matches only the operator's ServiceAccount makes
`apiserver_flowcontrol_dispatched_requests_total{flow_schema=…}` the operator's requests and nothing
else's. The ServiceAccount is bound to `cluster-admin` in the bench namespace only (a RoleBinding), and
the operator runs with a short-lived token from the TokenRequest API, so it also meets the API server
as a namespaced component does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "conectafy-bench-operator"
FLOW_SCHEMAS = "flowschemas"
FLOWCONTROL = "flowcontrol.apiserver.k8s.io/v1"


def flow_schema(name: str, namespace: str) -> dict[str, Any]:
    account = {"name": ACCOUNT, "namespace": namespace}
    everything = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "namespaces": ["*"]}
    return {
        "apiVersion": FLOWCONTROL,
        "kind": "FlowSchema",
        "metadata": {"name": name},
        "spec": {
            "priorityLevelConfiguration": {"name": "workload-low"},
            "matchingPrecedence": 500,  # before the built-in service-accounts schema (9000)
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [
                {
                    "subjects": [{"kind": "ServiceAccount", "serviceAccount": account}],
                    "resourceRules": [{**everything, "clusterScope": True}],
                    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                }
            ],
        },
    }


def dispatched(metrics: str, schema: str) -> int:
    """The requests API Priority and Fairness dispatched for `schema` (every verb, watches included)."""
    total = 0.0
    marker = f'flow_schema="{schema}"'
    for line in metrics.splitlines():
        if line.startswith("apiserver_flowcontrol_dispatched_requests_total{") and marker in line:
            total += float(line.rpartition(" ")[2])
    return int(total)


async def _call(api: Any, method: str, version: str, url: str, body: dict[str, Any], **kw: Any) -> Any:
    async with api.call_api(method, version=version, url=url, content=json.dumps(body), **kw) as response:
        return response.json()


async def create(api: Any, namespace: str, kubeconfig: Path, target: Path) -> str:
    """ServiceAccount, RoleBinding, FlowSchema and a kubeconfig at `target`; returns the schema's name."""
    await _call(api, "POST", "v1", "serviceaccounts", {"metadata": {"name": ACCOUNT}}, namespace=namespace)
    binding = {
        "metadata": {"name": ACCOUNT},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": namespace}],
    }
    await _call(api, "POST", "rbac.authorization.k8s.io/v1", "rolebindings", binding, namespace=namespace)
    schema = f"{ACCOUNT}-{namespace}"
    await _call(api, "POST", FLOWCONTROL, FLOW_SCHEMAS, flow_schema(schema, namespace))
    request = {"spec": {"expirationSeconds": 7200}}
    token = await _call(api, "POST", "v1", f"serviceaccounts/{ACCOUNT}/token", request, namespace=namespace)
    save(target, token_kubeconfig(kubeconfig, token["status"]["token"]))
    return schema


def save(target: Path, config: dict[str, Any]) -> None:
    target.write_text(yaml.safe_dump(config))


async def delete(api: Any, schema: str) -> None:
    async with api.call_api("DELETE", version=FLOWCONTROL, url=f"{FLOW_SCHEMAS}/{schema}"):
        pass


def token_kubeconfig(kubeconfig: Path, token: str) -> dict[str, Any]:
    """The current context's cluster (server and CA as they are), with the ServiceAccount's token."""
    config = yaml.safe_load(kubeconfig.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c for c in config["clusters"] if c["name"] == context["cluster"])
    ca = cluster["cluster"].get("certificate-authority")
    if ca and not Path(ca).is_absolute():  # relative to the kubeconfig it came from
        absolute = str(kubeconfig.parent / ca)
        cluster = {**cluster, "cluster": {**cluster["cluster"], "certificate-authority": absolute}}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": ACCOUNT, "user": {"token": token}}],
        "contexts": [{"name": ACCOUNT, "context": {"cluster": cluster["name"], "user": ACCOUNT}}],
        "current-context": ACCOUNT,
    }
