#!/usr/bin/env bash
# npm test: install if needed, build, lint, then every jest project.
# Postgres and Redis are provisioned by the jest "services" project's
# global setup (scripts/provision.mjs), started locally when they are down.
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord_cd_root
accord_ensure_deps

npm run build
npm run lint

workers=(--maxWorkers=2)
for arg in "$@"; do
  case "$arg" in
    --maxWorkers* | -w | --runInBand | -i) workers=() ;;
  esac
done
npx jest --ci "${workers[@]}" "$@"
