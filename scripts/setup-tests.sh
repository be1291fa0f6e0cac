#!/usr/bin/env bash
# Sets up what the test suite needs, as far as this machine lets us, then says exactly what is
# still missing. It never fails for a missing system tool: the tests that need one are skipped
# and named in one line at the end of the run. On Debian/Ubuntu as root (CI, a fresh dev box)
# it installs everything, so every test runs.
#
#   npm run test:all   = this script, then `npm test`
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

CLAUDE_CODE_VERSION=2.1.197 # newer Claude Code needs Node 22; this one validates plugins offline
missing=()
log() { printf '== %s\n' "$*"; }
can_root() { [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

log "node modules"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-fund --no-audit || { echo "npm ci failed" >&2; exit 1; }
fi

log "system packages (.ci/apt-packages.txt)"
mapfile -t wanted < <(grep -v '^\s*#' .ci/apt-packages.txt | grep -v '^\s*$')
absent=()
if command -v dpkg-query >/dev/null; then
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || absent+=("$pkg")
  done
  if ((${#absent[@]})) && command -v apt-get >/dev/null && can_root; then
    as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${absent[@]}" >/dev/null
    still=()
    for pkg in "${absent[@]}"; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || still+=("$pkg")
    done
    absent=("${still[@]}")
  fi
  for pkg in "${absent[@]}"; do missing+=("apt package $pkg"); done
else
  missing+=("Debian packages (no dpkg here): ${wanted[*]}")
fi

log "Claude Code CLI $CLAUDE_CODE_VERSION (plugin validation)"
if [[ "$(claude --version 2>/dev/null || true)" != "$CLAUDE_CODE_VERSION"* ]]; then
  npm install -g --no-fund --no-audit "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >/dev/null 2>&1 ||
    ( can_root && as_root npm install -g --no-fund --no-audit "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >/dev/null 2>&1 )
fi
[[ "$(claude --version 2>/dev/null || true)" == "$CLAUDE_CODE_VERSION"* ]] ||
  missing+=("claude $CLAUDE_CODE_VERSION (npm install -g @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION)")

log "databases"
if command -v pg_isready >/dev/null; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q && command -v pg_ctlcluster >/dev/null && can_root; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi
if [[ -x /usr/sbin/mariadbd ]] && ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && can_root; then
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 30); do
  pg_ok=0; my_ok=0
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && pg_ok=1
  mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && my_ok=1
  ((pg_ok && my_ok)) && break
  sleep 1
done
((pg_ok)) || missing+=("PostgreSQL on 127.0.0.1:5432 (postgres, trust auth, database test)")
((my_ok)) || missing+=("MariaDB/MySQL on 127.0.0.1:3306 (root, empty password, database test)")
if ((pg_ok)); then
  psql -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -qc 'CREATE EXTENSION IF NOT EXISTS hypopg' >/dev/null 2>&1 ||
    missing+=("the HypoPG extension in PostgreSQL's database test (apt package postgresql-15-hypopg)")
fi
[[ -x .ci/db-setup ]] && .ci/db-setup

if ((${#missing[@]})); then
  log "still missing — the tests that need these will be skipped and named at the end"
  printf '  - %s\n' "${missing[@]}"
else
  log "everything the tests use is here"
fi
exit 0
