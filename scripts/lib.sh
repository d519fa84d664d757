# Sourced by scripts/test.sh and scripts/local.sh.

# cd to the repository root.
accord_cd_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
}

# Install node_modules when missing or older than package.json/package-lock.json.
# `npm ci` first; `npm install` (which honours the lock) when ci fails: on some
# registries `npm ci` reports "Missing ... from lock file" for other platforms'
# optional binaries (docs/environment.md).
accord_ensure_deps() {
  local stamp=node_modules/.package-lock.json
  if [[ -f "$stamp" && ! package-lock.json -nt "$stamp" && ! package.json -nt "$stamp" ]]; then
    return 0
  fi
  echo "[accord] installing dependencies" >&2
  if ! npm ci --no-audit --no-fund; then
    echo "[accord] npm ci failed; falling back to npm install" >&2
    npm install --no-audit --no-fund
  fi
  touch "$stamp"
}
