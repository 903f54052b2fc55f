#!/usr/bin/env bash
# million.sh: the portal with a million accounts (docs/PERFORMANCE.md, "A
# million accounts"), on SQLite and on PostgreSQL:
#
#   1. writes a million accounts and their registrations as CSV
#      (docs/IMPORT.md): ids million-0000001..., each with the same
#      argon2id hash (IMPORT.md's example: nobody knows its password, and a
#      million initial passwords would take hours to hash), OUs
#      students/unitNN and staff/unitNN; an alternate address for everyone,
#      a mobile (Ofcom's drama range, allocated to nobody) for nine in ten,
#      one in seven confirmed long enough ago to be due again;
#   2. imports them with `sspr accounts import` and `sspr registrations
#      import` into a data folder (SQLite) and into a private PostgreSQL
#      (the accounts stay in SQLite: the embedded directory), with the time,
#      the peak memory (/usr/bin/time) and the size on disk;
#   3. starts the server on each store (bin/sspr serve --dev, as
#      scripts/bench.sh does, with server/cmd/loadgen/bench.toml) and runs
#      server/cmd/loadgen at a fixed 500 requests/s on ids drawn at random
#      from the million, each once: p50/p99 per call, errors, and the
#      server's resident memory at the start, middle and end;
#   4. times `sspr report coverage` against each store, with its peak
#      memory.
#
# It prints a markdown table at the end. Everything it starts (the servers,
# postgres) runs on free loopback ports and is stopped, and its temporary
# folders removed, however it ends. About 5 minutes on the 2-core machine;
# the machine should be otherwise idle (it prints the load average).
#
#   scripts/million.sh
#   MILLION_ACCOUNTS=100000 MILLION_DURATION=60s scripts/million.sh
#
# PostgreSQL 15 (Debian's postgresql-15; PG_BIN to use another) runs with
# its defaults, durable commits included, as in production. As root, it
# runs as the postgres user (or nobody), as server/pgstore/pgtest does.
set -euo pipefail
cd "$(dirname "$0")/.."

accounts=${MILLION_ACCOUNTS:-1000000}
duration=${MILLION_DURATION:-30s}
rate=${MILLION_RATE:-500}
# The server counts the registrations by shape when it starts (the decoys'
# proportions, docs/SECURITY.md), about 1.5-3 s of a core for a million:
# the load starts once that is done.
settle=${MILLION_SETTLE:-8}
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
pattern='million-%07d'

scripts/deps.sh /usr/bin/time:time "${pg_bin:-/usr/lib/postgresql/15/bin}/postgres:postgresql-15"
pg_bin=${pg_bin:-/usr/lib/postgresql/15/bin}

make -s build
go build -o bin/loadgen ./server/cmd/loadgen

tmp=$(mktemp -d)
pgdir=
server=
pg_user=()
stop_server() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
stop_postgres() {
  if [[ -n "$pgdir" && -f "$pgdir/data/postmaster.pid" ]]; then
    "${pg_user[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
cleanup() {
  stop_server
  stop_postgres
  rm -rf "$tmp"
  if [[ -n "$pgdir" ]]; then rm -rf "$pgdir"; fi
}
trap cleanup EXIT

# free_port, await_server
. scripts/lib.sh

# timed NAME CMD...: runs CMD with its output in $tmp/NAME.out and .err,
# and its wall time and peak memory (kB) in $tmp/NAME.time; stops the
# script with CMD's output if it fails.
timed() {
  local name=$1
  shift
  if ! /usr/bin/time -o "$tmp/$name.time" -f '%e %M' "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "million: $name failed:" >&2
    cat "$tmp/$name.out" "$tmp/$name.err" >&2
    exit 1
  fi
}
seconds() { awk '{printf "%.1f s", $1}' "$tmp/$1.time"; }
peak() { awk '{printf "%.0f MB", $2/1024}' "$tmp/$1.time"; }
mb() { awk -v b="$1" 'BEGIN {printf "%.0f MB", b/1e6}'; }

# start_server NAME CONFIG DATA: bin/sspr serve --dev on a free port, until
# /readyz answers; sets $port and $server.
start_server() {
  local name=$1 config=$2 data=$3
  port=$(free_port)
  ./bin/sspr serve --dev --listen "127.0.0.1:$port" --config "$config" --data "$data" \
    --dev-captcha-answer 424242 >>"$tmp/$name.log" 2>&1 &
  server=$!
  await_server "http://127.0.0.1:$port/readyz" "$tmp/$name.log" million
}

echo "== $accounts accounts and registrations; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. The files.
awk -v n="$accounts" -v pattern="$pattern" \
  -v hash='$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$vRmWbWh1bCqrXb0Ko2g1Hc8ZiQ5ELS9mpnXNDv2L5BM' \
  -v accounts="$tmp/accounts.csv" -v regs="$tmp/registrations.csv" 'BEGIN {
  print "id,name,mail,ou,password_hash" > accounts
  print "id,email,mobile,confirmed_at" > regs
  for (i = 1; i <= n; i++) {
    id = sprintf(pattern, i)
    printf "%s,Million Person %d,%s@example.edu,%s/unit%02d,\"%s\"\n", id, i, id, (i % 10 == 0 ? "staff" : "students"), i % 50, hash > accounts
    mobile = (i % 10 == 1) ? "" : sprintf("+447700%06d", 900000 + i % 1000)
    at = (i % 7 == 0) ? "2024-01-01T00:00:00Z" : ""
    printf "%s,%s@example.net,%s,%s\n", id, id, mobile, at > regs
  }
}'

# The configurations: bench.toml's (limits for one address raised), no
# drain at shutdown (nobody is behind a load balancer), and PostgreSQL.
cp server/cmd/loadgen/bench.toml "$tmp/sqlite.toml"
printf '\n[server]\ndrain_period = "0s"\n' >>"$tmp/sqlite.toml"

# 2. SQLite: the server makes the file (and the demo accounts), then the
# imports.
mkdir "$tmp/sqlite"
start_server sqlite-first "$tmp/sqlite.toml" "$tmp/sqlite"
stop_server
echo "-- accounts import"
timed accounts ./bin/sspr accounts import --config "$tmp/sqlite.toml" --data "$tmp/sqlite" "$tmp/accounts.csv"
cat "$tmp/accounts.out"
# The PostgreSQL setup keeps its accounts in SQLite too: the same file, as
# it is now.
cp -a "$tmp/sqlite" "$tmp/pg"
echo "-- registrations import, SQLite"
timed regs-sqlite ./bin/sspr registrations import --config "$tmp/sqlite.toml" --data "$tmp/sqlite" "$tmp/registrations.csv"
cat "$tmp/regs-sqlite.out"
sqlite_size=$(du -cb "$tmp/sqlite"/sspr.db* | tail -n 1 | cut -f1)
accounts_size=$(du -cb "$tmp/pg"/sspr.db* | tail -n 1 | cut -f1)

# PostgreSQL: a private cluster, as the postgres user when run as root
# (initdb refuses root).
pgdir=$(mktemp -d)
if ((EUID == 0)); then
  owner=postgres
  id -u postgres >/dev/null 2>&1 || owner=nobody
  chown "$owner:" "$pgdir"
  pg_user=(runuser -u "$owner" --)
fi
"${pg_user[@]}" "$pg_bin/initdb" -D "$pgdir/data" -A trust -U sspr -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1 ||
  {
    cat "$tmp/initdb.log" >&2
    exit 1
  }
pg_port=$(free_port)
"${pg_user[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgres.log" -w \
  -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null
psql=("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U sspr -X -q -A -t)
"${psql[@]}" -d postgres -c 'CREATE DATABASE sspr'
cp "$tmp/sqlite.toml" "$tmp/pg.toml"
printf '\n[database]\nkind = "postgres"\nurl = "postgres://sspr@127.0.0.1:%s/sspr"\ntls = "off"\n' "$pg_port" >>"$tmp/pg.toml"
start_server pg-first "$tmp/pg.toml" "$tmp/pg"
stop_server
echo "-- registrations import, PostgreSQL"
timed regs-pg ./bin/sspr registrations import --config "$tmp/pg.toml" --data "$tmp/pg" "$tmp/registrations.csv"
cat "$tmp/regs-pg.out"
pg_size=$("${psql[@]}" -d sspr -c 'SELECT pg_database_size(current_database())')

# 3. The flow API at a fixed rate, ids drawn from the million; 4. the
# coverage report.
loadtest() {
  local name=$1 config=$2 data=$3
  start_server "$name" "$config" "$data"
  sleep "$settle"
  echo "-- flow API at $rate requests/s for $duration, $name (load average $(cut -d' ' -f1 /proc/loadavg))"
  ./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -rate "$rate" -duration "$duration" \
    -user-pattern "$pattern" -user-count "$accounts" -pid "$server" >"$tmp/load-$name.out" 2>"$tmp/load-$name.err" || true
  cat "$tmp/load-$name.out"
  if [[ -s "$tmp/load-$name.err" ]]; then
    echo "(failed calls, the first 5:)"
    head -n 5 "$tmp/load-$name.err"
  fi
  stop_server
}
loadtest sqlite "$tmp/sqlite.toml" "$tmp/sqlite"
loadtest pg "$tmp/pg.toml" "$tmp/pg"
echo "-- coverage report"
timed cov-sqlite ./bin/sspr report coverage --config "$tmp/sqlite.toml" --data "$tmp/sqlite"
timed cov-pg ./bin/sspr report coverage --config "$tmp/pg.toml" --data "$tmp/pg"
head -n 4 "$tmp/cov-sqlite.out"

# The table.
# call NAME FILE: "p50 / p99, errors" of one call in loadgen's output.
call() { awk -v c="$1" '$1 == c {printf "%s / %s, %d errors", $4, $6, $3}' "$2"; }
memory() { sed -n 's/^server memory (pid [0-9]*, VmRSS): //p' "$1"; }
echo
echo "| $accounts accounts | SQLite | PostgreSQL |"
echo "|---|---|---|"
echo "| accounts import (the embedded directory: SQLite in both) | $(seconds accounts), peak $(peak accounts) | (the same) |"
echo "| registrations import | $(seconds regs-sqlite), peak $(peak regs-sqlite) | $(seconds regs-pg), peak $(peak regs-pg) |"
echo "| size on disk | sspr.db $(mb "$sqlite_size") | database $(mb "$pg_size"), and sspr.db (accounts) $(mb "$accounts_size") |"
for c in captcha start intent email/send email/verify all; do
  echo "| $c at $rate/s: p50 / p99 | $(call "$c" "$tmp/load-sqlite.out") | $(call "$c" "$tmp/load-pg.out") |"
done
echo "| server memory under load | $(memory "$tmp/load-sqlite.out") | $(memory "$tmp/load-pg.out") |"
echo "| \`sspr report coverage\` | $(seconds cov-sqlite), peak $(peak cov-sqlite) | $(seconds cov-pg), peak $(peak cov-pg) |"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
