#!/usr/bin/env bash
# npm run local: one command starts Accord locally.
# Installs dependencies, makes sure Postgres and Redis are reachable (starting
# an embedded Postgres / a redis-server when they are not), builds, migrates
# and runs the coordinator in the foreground.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord_cd_root
accord_ensure_deps

accord_provision
export PORT="${PORT:-3000}"

npm run build
npm run migrate

base="http://localhost:${PORT}"
cat <<MSG

  Accord is starting on ${base}
    console  : ${base}/console   (queues: ${base}/admin/queues, from the console)
    API docs : ${base}/docs
    health   : ${base}/health/ready   (liveness: ${base}/health/live)
    Postgres : ${DATABASE_URL}
    Redis    : ${REDIS_URL}
MSG
if [[ -z "${ADMIN_TOKEN:-}" ]]; then
  echo "    auth     : OFF (dev mode, ADMIN_TOKEN unset); set ADMIN_TOKEN=... to require credentials"
else
  echo "    auth     : on (Authorization: Bearer \$ADMIN_TOKEN)"
fi
echo

exec node dist/apps/coordinator/main.js
