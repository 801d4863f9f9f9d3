#!/usr/bin/env bash
# `make up`: run the whole Conectafy system on this machine, from nothing, with Docker.
#
#   1. a kind cluster named $CLUSTER (reused when it exists and answers),
#   2. `docker build` of the Conectafy image, tagged by its content so that a rebuild with no change
#      does not restart anything and a changed image rolls the pods,
#   3. `kind load docker-image` (the cluster pulls nothing from a registry for Conectafy itself;
#      WAHA's image is pulled from Docker Hub the first time a session starts),
#   4. `helm upgrade --install` of helm/conectafy with that image (idempotent),
#   5. waits until the PostgreSQL, operator and API workloads are ready,
#   6. prints the dashboard URL and the next commands, then (in a terminal) port-forwards the
#      dashboard to 127.0.0.1 until Ctrl-C. The system keeps running after Ctrl-C.
#
# Needs: docker (a running engine), kind, kubectl, helm. Applies nothing but the chart.
# Settings (environment): CLUSTER (conectafy), NAMESPACE (conectafy), RELEASE (conectafy),
# LOCAL_PORT (8000), PORT_FORWARD (1: port-forward at the end when run in a terminal; 0: never),
# WAIT_TIMEOUT (600s), HELM_ARGS (extra `helm upgrade` arguments, e.g. "--set api.replicas=1").
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER="${CLUSTER:-conectafy}"
NAMESPACE="${NAMESPACE:-conectafy}"
RELEASE="${RELEASE:-conectafy}"
LOCAL_PORT="${LOCAL_PORT:-8000}"
PORT_FORWARD="${PORT_FORWARD:-1}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"
HELM_ARGS="${HELM_ARGS:-}"
CONTEXT="kind-${CLUSTER}"
IMAGE_REPOSITORY="conectafy"
CHART="helm/conectafy"

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'up: %s\n' "$*" >&2
  exit 1
}

# Each tool, and where to get it when it is missing.
require_tools() {
  local missing=0
  if ! command -v docker >/dev/null; then
    echo "up: docker is not installed: https://docs.docker.com/engine/install/" >&2
    missing=1
  fi
  if ! command -v kind >/dev/null; then
    cat >&2 <<'EOF'
up: kind is not installed. It runs a Kubernetes cluster inside Docker containers. Install a release
    binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), e.g. on Linux x86-64:
      curl -Lo ./kind https://kind.sigs.k8s.io/dl/v0.27.0/kind-linux-amd64
      chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind
    or, with Go installed: go install sigs.k8s.io/kind@v0.27.0
EOF
    missing=1
  fi
  if ! command -v kubectl >/dev/null; then
    echo "up: kubectl is not installed: https://kubernetes.io/docs/tasks/tools/#kubectl" >&2
    missing=1
  fi
  if ! command -v helm >/dev/null; then
    echo "up: helm is not installed: https://helm.sh/docs/intro/install/" >&2
    missing=1
  fi
  if [[ "$missing" != 0 ]]; then
    echo "up: without these, 'make demo' runs Conectafy on this machine (Kubernetes and WhatsApp simulated; docs/demo.md)" >&2
    exit 1
  fi
  docker info >/dev/null 2>&1 \
    || fail "the Docker engine is not reachable (is it running? may this user use it?); 'make demo' needs no Docker"
}

# Reuse a healthy cluster of that name; create it otherwise; refuse to guess about a broken one.
ensure_cluster() {
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    say "Using the existing kind cluster '$CLUSTER'"
    kind export kubeconfig --name "$CLUSTER" >/dev/null
    kubectl --context "$CONTEXT" get --raw /readyz >/dev/null 2>&1 \
      || fail "kind cluster '$CLUSTER' exists but its API server does not answer; recreate it with: kind delete cluster --name $CLUSTER && make up"
  else
    say "Creating the kind cluster '$CLUSTER'"
    kind create cluster --name "$CLUSTER" --wait 180s
  fi
}

# Prints the image reference; the tag is the chart's appVersion plus the image's content id.
build_image() {
  say "Building the Conectafy image (docker build)" >&2
  DOCKER_BUILDKIT=1 docker build --tag "${IMAGE_REPOSITORY}:build" . >&2
  local id app_version tag
  id="$(docker image inspect --format '{{.Id}}' "${IMAGE_REPOSITORY}:build")"
  id="${id#sha256:}"
  app_version="$(awk -F'"' '/^appVersion:/ {print $2}' "$CHART/Chart.yaml")"
  tag="${app_version:-0.0.0}-dev.${id:0:12}"
  docker tag "${IMAGE_REPOSITORY}:build" "${IMAGE_REPOSITORY}:${tag}"
  printf '%s\n' "$tag"
}

install_chart() {
  local tag="$1"
  say "Loading ${IMAGE_REPOSITORY}:${tag} into the cluster (kind load docker-image)"
  kind load docker-image "${IMAGE_REPOSITORY}:${tag}" --name "$CLUSTER"
  say "Installing the chart (helm upgrade --install $RELEASE $CHART -n $NAMESPACE)"
  # HELM_ARGS is split on purpose: it carries several arguments.
  # shellcheck disable=SC2086
  helm upgrade --install "$RELEASE" "$CHART" \
    --kube-context "$CONTEXT" \
    --namespace "$NAMESPACE" --create-namespace \
    --set image.repository="$IMAGE_REPOSITORY" \
    --set image.tag="$tag" \
    --set image.pullPolicy=IfNotPresent \
    $HELM_ARGS
}

# Rollout status of every Deployment/StatefulSet of the release; on failure, show why.
wait_ready() {
  say "Waiting until the release's workloads are ready (timeout $WAIT_TIMEOUT)"
  local selector="app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/part-of=conectafy"
  local workloads workload
  workloads="$(kubectl --context "$CONTEXT" -n "$NAMESPACE" get statefulsets,deployments \
    -l "$selector" -o name)"
  [[ -n "$workloads" ]] || fail "the release created no Deployment or StatefulSet in namespace $NAMESPACE"
  for workload in $workloads; do
    if ! kubectl --context "$CONTEXT" -n "$NAMESPACE" rollout status "$workload" --timeout "$WAIT_TIMEOUT"; then
      kubectl --context "$CONTEXT" -n "$NAMESPACE" get pods -l "$selector" -o wide >&2 || true
      kubectl --context "$CONTEXT" -n "$NAMESPACE" get events --sort-by=.lastTimestamp 2>&1 | tail -n 20 >&2 || true
      fail "$workload did not become ready; see the pods and events above (kubectl describe / logs)"
    fi
  done
}

# The chart names objects `<release>-conectafy-…`, or `<release>-…` when the release name holds "conectafy".
api_service() {
  if [[ "$RELEASE" == *conectafy* ]]; then
    printf '%s-api\n' "$RELEASE"
  else
    printf '%s-conectafy-api\n' "$RELEASE"
  fi
}

print_next_steps() {
  local service
  service="$(api_service)"
  cat <<EOF

Conectafy is running in the kind cluster '$CLUSTER' (kube context $CONTEXT, namespace $NAMESPACE).

Dashboard:  http://127.0.0.1:${LOCAL_PORT}/
  (needs the port-forward: kubectl --context $CONTEXT -n $NAMESPACE port-forward service/$service ${LOCAL_PORT}:8000)

Next (kubectl's current context is now $CONTEXT):
  # the CLI, also installed as the kubectl plugin \`kubectl conectafy\`
  make install && . .venv/bin/activate
  # a WhatsApp number without the dashboard; its Phase goes Pending → Starting → ScanQR
  kubectl -n $NAMESPACE apply -f examples/session.yaml
  kubectl -n $NAMESPACE get wa
  # draw its QR here; scan it with WhatsApp → Linked devices → Link a device
  kubectl conectafy qr support -n $NAMESPACE
  kubectl conectafy sessions -n $NAMESPACE
  # after a code change: rebuild and roll; to remove everything: delete the cluster
  make up
  kind delete cluster --name $CLUSTER
EOF
}

main() {
  require_tools
  ensure_cluster
  local tag
  tag="$(build_image)"
  install_chart "$tag"
  wait_ready
  print_next_steps
  if [[ "$PORT_FORWARD" == 1 && -t 1 ]]; then
    local service
    service="$(api_service)"
    say "Port-forwarding the dashboard to http://127.0.0.1:${LOCAL_PORT}/ (Ctrl-C stops only this)"
    exec kubectl --context "$CONTEXT" -n "$NAMESPACE" port-forward "service/$service" "${LOCAL_PORT}:8000"
  fi
}

main "$@"
