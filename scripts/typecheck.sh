#!/usr/bin/env bash
# mypy cannot follow setuptools' package-dir mapping (operator/ -> conectafy.operator, api/ -> conectafy.api),
# so type-check a link tree that has the installed layout.
set -euo pipefail
cd "$(dirname "$0")/.."
mypy=${MYPY:-mypy}
case $mypy in */*) mypy=$(realpath "$mypy") ;; esac  # a relative path must survive the cd below
tree=build/typecheck
rm -rf "$tree" && mkdir -p "$tree/conectafy"
for entry in conectafy/*; do ln -s "$PWD/$entry" "$tree/conectafy/$(basename "$entry")"; done
ln -s "$PWD/operator" "$tree/conectafy/operator"
ln -s "$PWD/api" "$tree/conectafy/api"
cd "$tree" && exec "$mypy" --config-file ../../pyproject.toml -p conectafy "$@"
