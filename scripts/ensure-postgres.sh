#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries are on this machine (Debian's `postgresql` package).
# The scale-out tests start their own server on a temporary directory; nothing here starts one.
# Exit 0 when the binaries are there (or were installed), 1 when they cannot be: those tests then skip loudly.
set -u

have_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}

if have_postgres; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: no apt-get on this machine; install PostgreSQL's server (initdb, pg_ctl) by hand" >&2
  exit 1
fi
if [ "$(id -u)" = "0" ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "ensure-postgres: not root and no password-less sudo; run: sudo apt-get install postgresql" >&2
  exit 1
fi
echo "ensure-postgres: installing Debian's postgresql package…" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq || exit 1
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || exit 1
have_postgres
