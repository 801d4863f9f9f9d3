#!/usr/bin/env bash
# mypy cannot follow setuptools' package-dir mapping (operator/ -> conectafy.operator, api/ -> conectafy.api),
# so type-check a link tree that has the installed layout.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=build/typecheck
rm -rf "$tree" && mkdir -p "$tree/conectafy"
for entry in conectafy/*; do ln -s "$PWD/$entry" "$tree/conectafy/$(basename "$entry")"; done
ln -s "$PWD/operator" "$tree/conectafy/operator"
ln -s "$PWD/api" "$tree/conectafy/api"
cd "$tree" && exec "${MYPY:-mypy}" --config-file ../../pyproject.toml -p conectafy "$@"
