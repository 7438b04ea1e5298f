#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries are on this machine (Debian's package). Tests start their own server.
set -u
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: not root or no apt-get; cannot install PostgreSQL" >&2
  exit 1
fi
echo "ensure-postgres: installing Debian's postgresql package…" >&2
export DEBIAN_FRONTEND=noninteractive
(apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) || exit 1
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
