#!/usr/bin/env bash
# `make e2e`: run the e2e suite (pytest -m e2e) against a real cluster.
#
#   KUBECONFIG set      → use that cluster as it is (nothing is deleted but the suite's own
#                         namespaces, fake nodes and their Leases; the CRDs are server-side applied
#                         and kept, as the chart keeps them).
#   KUBECONFIG unset    → create a throw-away kind cluster, build the Conectafy image from the
#                         Dockerfile and `kind load` it (CONECTAFY_E2E_IMAGE, for the Helm tests), run
#                         the suite, delete the cluster — also when the suite fails or is interrupted.
#
# The operator's e2e tests need no image: they run the operator in-process and serve WAHA from the
# simulator on 127.0.0.1. Set SKIP_IMAGE=1 to skip the build; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST="${PYTEST:-.venv/bin/pytest}"

if [[ -n "${KUBECONFIG:-}" ]]; then
  exec "$PYTEST" -m e2e -v "$@"
fi

command -v kind >/dev/null || { echo "e2e: kind is not installed (https://kind.sigs.k8s.io), and KUBECONFIG is not set" >&2; exit 2; }
CLUSTER="conectafy-e2e-$$"
WORKDIR="$(mktemp -d -t conectafy-e2e.XXXXXX)"
KUBECONFIG="$WORKDIR/kubeconfig"  # a path kind creates (not an empty file it would have to merge into)
export KUBECONFIG
cleanup() {
  kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1 || true
  rm -rf "$WORKDIR"
}
trap cleanup EXIT INT TERM

kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait 180s
if [[ "${SKIP_IMAGE:-0}" != "1" ]] && command -v docker >/dev/null; then
  export CONECTAFY_E2E_IMAGE="conectafy:e2e-$$"
  docker build --quiet --tag "$CONECTAFY_E2E_IMAGE" .
  kind load docker-image "$CONECTAFY_E2E_IMAGE" --name "$CLUSTER"
fi
"$PYTEST" -m e2e -v "$@"
