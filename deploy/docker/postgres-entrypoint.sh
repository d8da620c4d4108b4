#!/bin/sh
# Entrypoint of skillyard/postgres (deploy/docker/postgres.Dockerfile). Runs as the postgres user.
# On an empty volume it creates the cluster first:
#   POSTGRES_PASSWORD  password of POSTGRES_USER (required then; unused afterwards)
#   POSTGRES_USER      the superuser (default postgres)
#   POSTGRES_DB        a database owned by it (default: the user name)
# Other clients authenticate with scram-sha-256 over TCP; the unix socket inside the container
# trusts local users, as the official image does (whoever can exec here can read the files anyway).
# Arguments are passed to postgres, e.g. -c max_connections=200.
set -eu

: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}

say() { printf 'skillyard-postgres: %s\n' "$*" >&2; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || {
    say "the data directory $PGDATA is empty and POSTGRES_PASSWORD is not set: set it to create the cluster"
    exit 1
  }
  parent=$(dirname "$PGDATA")
  [ -w "$parent" ] || {
    say "$parent is not writable by uid $(id -u): a bind mount must belong to 999:999 (a named volume does by itself)"
    exit 1
  }
  # Built beside the final path and renamed at the end, so a start interrupted half-way leaves no
  # cluster that looks complete but lacks the database or the network settings.
  staging="$parent/.initdb.$$"
  rm -rf "$parent"/.initdb.*
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  say "creating the cluster in $PGDATA (superuser $user, database $db)"
  initdb -D "$staging" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf '%s\n' '' '# skillyard/postgres: reachable from the other containers of the network' "listen_addresses = '*'" \
    >>"$staging/postgresql.conf"
  printf '%s\n' '' '# skillyard/postgres: any address, with a password' 'host all all all scram-sha-256' \
    >>"$staging/pg_hba.conf"
  if [ "$db" != postgres ]; then
    sock=$(mktemp -d)
    pg_ctl -D "$staging" -w -s -o "-c listen_addresses='' -c unix_socket_directories=$sock" start
    # psql quotes the name (:"db"): any database name works, none is spliced into SQL.
    printf 'CREATE DATABASE :"db";\n' | psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -h "$sock" -U "$user" -d postgres
    pg_ctl -D "$staging" -w -s -m fast stop
    rmdir "$sock"
  fi
  mv "$staging" "$PGDATA"
  say "cluster ready"
fi

exec postgres -D "$PGDATA" "$@"
