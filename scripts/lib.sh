# Sourced by scripts/test.sh and scripts/local.sh.

# cd to the repository root.
accord_cd_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
}

# Install node_modules when missing or older than package.json/package-lock.json.
# `npm ci` first, its output kept in .accord/npm-ci.log; `npm install` (which
# honours the lock) when ci fails: some registries lack other platforms'
# optional binaries at the locked versions, and `npm ci` then refuses the
# lock with a screenful of "Missing ... from lock file" that is not the
# user's to fix.
accord_ensure_deps() {
  local stamp=node_modules/.package-lock.json log=.accord/npm-ci.log
  if [[ -f "$stamp" && ! package-lock.json -nt "$stamp" && ! package.json -nt "$stamp" ]]; then
    return 0
  fi
  echo "[accord] installing dependencies (npm ci)" >&2
  mkdir -p .accord
  if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
    echo "[accord] npm ci refused the lock (see $log); installing with npm install, which keeps the locked versions" >&2
    npm install --no-audit --no-fund
  fi
  touch "$stamp"
}
