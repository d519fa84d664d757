#!/usr/bin/env bash
# npm run chaos: the full chaos suite (test/chaos at ACCORD_CHAOS=full:
# thousands of transfers, more faults, a 256-step saga), one scenario at a
# time so they do not compete for the cores. The table of every scenario
# (transactions, faults, time to converge, violations) is printed at the end
# and written to .accord/chaos-report.json. Extra arguments go to jest, e.g.
# `npm run chaos -- test/chaos/crash.test.ts`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord_cd_root
accord_ensure_deps

npm run build
# A pattern on the absolute path: '/test/chaos/', not 'chaos', which a
# checkout's own directory name may hold.
paths=(--testPathPatterns /test/chaos/)
for arg in "$@"; do
  case "$arg" in
    test/*) paths=(--runTestsByPath) ;;
  esac
done
ACCORD_CHAOS=full npx jest --ci --selectProjects services --runInBand "${paths[@]}" "$@"
