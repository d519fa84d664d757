#!/usr/bin/env bash
# npm run demo: the demo shop (apps/demo) next to a local coordinator.
# Installs dependencies, makes sure Postgres and Redis are reachable (as
# npm run local does), builds, then runs apps/demo/dist/run.js: it starts the
# coordinator and the shop's services (and a nats-server, for inventory, when
# none answers at NATS_URL), runs four checkouts and payments and prints
# each outcome with its console link. Ctrl-C stops it all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord_cd_root
accord_ensure_deps

accord_provision

echo "[accord] building" >&2
npm run build >.accord/build.log 2>&1 || { cat .accord/build.log >&2; exit 1; }
exec node apps/demo/dist/run.js
