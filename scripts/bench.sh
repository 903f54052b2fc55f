#!/usr/bin/env bash
# bench.sh: the measurements behind the budgets in docs/PERFORMANCE.md.
#
#   1. The Go benchmarks of every package (argon2id per answer check, the
#      policy, CAPTCHA drawing, the seed, messages per second through the
#      queue to a local SMTP listener...).
#   2. The flow API under load from a second process on loopback: the real
#      server (bin/sspr, dev mode, server/cmd/loadgen/bench.toml) and
#      server/cmd/loadgen, first at a fixed 500 requests/s (p50/p99 per
#      call), then closed-loop to find the ceiling.
#   3. Whole resets (server/cmd/flowbench): the real server started by
#      flowbench, accounts imported with `sspr accounts import` and `sspr
#      registrations import`, and 1, 8 and 32 virtual users each resetting
#      one account after another (email code, text code, new password,
#      checked by signing in), at the default and the cheapest argon2id:
#      flows/s, p50/p99 of a whole flow, the server's CPU per flow and the
#      share of it that is deliberate hashing; then the CAPTCHA's audio on
#      and off. FLOWBENCH_DURATION a run (default 10s).
#   4. The start page in headless Chromium (server/cmd/pagebench), against a
#      fresh server: first contentful paint and the time until the wasm has
#      taken over, cold and warm (service worker), median and max of
#      PAGEBENCH_RUNS runs; and app.wasm as the browser received it.
#   5. The start page in Lighthouse 12 (scripts/lighthouse.sh), against a
#      fresh server, as an outside review measures it: performance score,
#      FCP, LCP, TBT, TTI, Speed Index and the LCP element, for a phone on
#      slow 4G with the CPU 4x slower (simulated, as PageSpeed Insights
#      does, and applied) and for a desktop; medians of LIGHTHOUSE_RUNS
#      runs, the reports and traces in bin/lighthouse/.
#   6. The sizes of app.wasm (the student's) and desk.wasm (the console's):
#      raw, and the .gz and .br files that
#      server/cmd/precompress wrote at build time, which the server sends.
#   7. Optional, only with MILLION=1 (about 5 minutes more): a million
#      accounts and registrations (scripts/million.sh, which also runs on
#      its own): imported into SQLite and PostgreSQL, the flow API at 500
#      requests/s on ids drawn from them, `sspr report coverage`; times,
#      sizes, memory (docs/PERFORMANCE.md#a-million-accounts).
#
#   scripts/bench.sh [go test flags...]      e.g. scripts/bench.sh -benchtime 2s
#   BENCH_DURATION=30s FLOWBENCH_DURATION=20s PAGEBENCH_RUNS=10 LIGHTHOUSE_RUNS=5 scripts/bench.sh
#   MILLION=1 scripts/bench.sh               with step 7
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-20s}
flowbench_duration=${FLOWBENCH_DURATION:-10s}
runs=${PAGEBENCH_RUNS:-5}
chromium=${CHROMIUM:-/usr/bin/chromium}

# Fail now, not after ten minutes of benchmarks, if the browser is missing,
# or node and npm for Lighthouse (Debian's nodejs is new enough).
scripts/deps.sh "$chromium:chromium,fonts-dejavu-core" node:nodejs npm:npm

make -s build
go build -o bin/loadgen ./server/cmd/loadgen
go build -o bin/pagebench ./server/cmd/pagebench
go build -o bin/flowbench ./server/cmd/flowbench

data=$(mktemp -d)
server=
stop_server() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
trap 'stop_server; rm -rf "$data"' EXIT

# free_port, await_server
. scripts/lib.sh

# start_server NAME [sspr serve flags...]: a dev server on a free loopback
# port with its own data folder; sets $port.
start_server() {
  local name=$1
  shift
  port=$(free_port)
  mkdir -p "$data/$name"
  ./bin/sspr serve --dev --listen "127.0.0.1:$port" --data "$data/$name" "$@" >"$data/$name.log" 2>&1 &
  server=$!
  await_server "http://127.0.0.1:$port/healthz" "$data/$name.log" bench
}

echo "== Go benchmarks"
go test -run '^$' -bench . -benchmem "$@" ./...

echo
echo "== LDAP directory against a local slapd with ppolicy: lookups and password changes per second, p99 (pool of 4, StartTLS)"
scripts/deps.sh /usr/sbin/slapd:slapd,ldap-utils
go test -run '^$' -bench '^Benchmark(Lookup|SetPassword)$' -benchtime 5s ./server/ldapdir/

echo
echo "== Redis State against a local redis-server: Get, Set, Update (WATCH/MULTI), Incr, a CAPTCHA's Set+Take, one code check's calls; ops/s, p50, p99"
scripts/deps.sh /usr/bin/redis-server:redis-server
go test -run '^$' -bench '^BenchmarkFlowOps$' -benchtime 3s ./server/redisstate/

echo
echo "== PostgreSQL Store against a local postgres: registration reads and audit writes per second, p99 (pool of 8, verified TLS)"
scripts/deps.sh /usr/lib/postgresql/15/bin/postgres:postgresql-15
go test -run '^$' -bench '^Benchmark(Registration|Record)$' -benchtime 5s ./server/pgstore/

echo
echo "== Flow API under load (captcha, start, intent, email/send, email/verify)"
start_server load --config server/cmd/loadgen/bench.toml --dev-captcha-answer 424242
./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -rate 500 -duration "$duration"
echo
./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -rate 0 -workers 32 -duration 10s

echo
echo "== Sign-ins per second (each checks a password with argon2id; hashing is limited to one per CPU)"
./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -scenario signin -rate 0 -workers 16 -duration 10s
stop_server

echo
echo "== Send code with real SMTP: the API's p99 with the server healthy, slow (2 s a message) and down (docs/SECURITY.md#same-answer)"
# A fresh server each time (the demo accounts' send limits), its email going
# to a plain relay on loopback that loadgen runs (-smtp), or to nothing.
for mode in healthy slow down; do
  smtp_port=$(free_port)
  sed "s/SMTP_PORT/$smtp_port/" server/cmd/loadgen/delivery.toml >"$data/delivery.toml"
  start_server "send-$mode" --config "$data/delivery.toml" --dev-captcha-answer 424242
  case $mode in
    healthy) sink=(-smtp "127.0.0.1:$smtp_port") ;;
    slow) sink=(-smtp "127.0.0.1:$smtp_port" -smtp-delay 2s) ;;
    down) sink=() ;;
  esac
  echo "-- SMTP $mode"
  ./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -scenario send -rate 100 -duration 8s "${sink[@]}"
  echo "readyz: $(curl -s "http://127.0.0.1:$port/readyz")"
  stop_server
done

echo
echo "== Whole resets (email + text, checked by signing in): flows/s, p50/p99, server CPU per flow in and outside argon2id, 1, 8 and 32 users (docs/PERFORMANCE.md#whole-resets)"
# flowbench starts its own servers (bin/sspr serve --dev, a data folder and
# free loopback ports of its own) and stops them. A failed flow fails the
# bench, at the end: the measurements after it still run.
flowbench_status=0
./bin/flowbench -sspr bin/sspr -users 1,8,32 -duration "$flowbench_duration" -hashing default,cheapest -audio off ||
  flowbench_status=$?
echo
echo "-- CAPTCHA audio off and on (cheapest hashing, 8 users)"
./bin/flowbench -sspr bin/sspr -users 8 -duration "$flowbench_duration" -hashing cheapest -audio off,on ||
  flowbench_status=$?

echo
echo "== Start page in headless Chromium (budgets, docs/PERFORMANCE.md: FCP cold < 200 ms over the floor; interactive < 1.5 s cold, < 0.5 s warm)"
# A fresh server: nothing left over from the load test.
start_server page
./bin/pagebench -url "http://127.0.0.1:$port" -runs "$runs" -chromium "$chromium"
stop_server

echo
echo "== Start page in Lighthouse (mobile: slow 4G, CPU 4x slower, simulated and applied; desktop)"
# A fresh server again: its CAPTCHA throttles know nothing of pagebench's
# visits. Each run is a cold visit in a fresh profile (no service worker).
start_server lighthouse
CHROME_PATH=$chromium scripts/lighthouse.sh -n "${LIGHTHOUSE_RUNS:-3}" "http://127.0.0.1:$port/"
stop_server

echo
# sizes NAME BUDGET: a bundle's raw, gzip and brotli sizes (BUDGET 0: none).
sizes() {
  local wasm=bin/web/$1 budget=$2 raw gz br f verdict=ok
  raw=$(stat -c %s "$wasm")
  for ext in gz br; do
    f=$wasm.$ext
    if [[ ! -f $f ]]; then
      echo "bench: $f is missing: make wasm runs server/cmd/precompress" >&2
      exit 1
    fi
    if [[ $f -ot $wasm ]]; then
      echo "bench: $f is older than $wasm, so the server would not send it: make wasm" >&2
      exit 1
    fi
  done
  gz=$(stat -c %s "$wasm.gz")
  br=$(stat -c %s "$wasm.br")
  if ((budget == 0)); then
    verdict="no budget"
  elif ((br > budget)); then
    verdict="OVER BUDGET"
  fi
  awk -v raw="$raw" -v gz="$gz" -v br="$br" -v verdict="$verdict" 'BEGIN {
    printf "raw %d bytes; gzip -9 %d bytes (%.1f%%); brotli q11 %d bytes (%.1f%%): %s\n",
      raw, gz, 100*gz/raw, br, 100*br/raw, verdict }'
}

echo "== app.wasm, the student's (budget: as served, brotli, at most 1,600,000 bytes)"
sizes app.wasm 1600000
echo
echo "== reg.wasm, every page: the registration pages' (loaded only under /register)"
sizes reg.wasm 0
echo "== desk.wasm, the service desk's console (loaded only under /desk)"
sizes desk.wasm 0

if [[ ${MILLION:-} == 1 ]]; then
  echo
  echo "== A million accounts (scripts/million.sh; docs/PERFORMANCE.md#a-million-accounts)"
  scripts/million.sh
fi

if ((flowbench_status != 0)); then
  echo "bench: flowbench: some whole resets failed (above)" >&2
  exit 1
fi
