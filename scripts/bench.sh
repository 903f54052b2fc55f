#!/usr/bin/env bash
# bench.sh: the measurements behind the budgets in ARCHITECTURE.md.
#
#   1. The Go benchmarks of every package (argon2id per answer check, the
#      policy, CAPTCHA drawing, the seed...).
#   2. The flow API under load from a second process on loopback: the real
#      server (bin/sspr, dev mode, server/cmd/loadgen/bench.toml) and
#      server/cmd/loadgen, first at a fixed 500 requests/s (p50/p99 per
#      call), then closed-loop to find the ceiling.
#   3. The size of app.wasm: raw, gzip and brotli.
#
#   scripts/bench.sh [go test flags...]      e.g. scripts/bench.sh -benchtime 2s
#   BENCH_DURATION=30s scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-20s}

echo "== Go benchmarks"
go test -run '^$' -bench . -benchmem "$@" ./...

echo
echo "== Flow API under load (captcha, start, intent, email/send, email/verify)"
make -s build
go build -o bin/loadgen ./server/cmd/loadgen
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)
./bin/sspr serve --dev --config server/cmd/loadgen/bench.toml --listen "127.0.0.1:$port" --data "$data" \
  --dev-captcha-answer 424242 >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -rate 500 -duration "$duration"
echo
./bin/loadgen -url "http://127.0.0.1:$port" -captcha 424242 -rate 0 -workers 32 -duration 10s

echo
echo "== app.wasm"
wasm=bin/web/app.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
if command -v brotli >/dev/null 2>&1; then br=$(brotli -q 11 -c "$wasm" | wc -c); else br="(brotli not installed)"; fi
printf 'raw %s bytes, gzip -9 %s bytes, brotli -q 11 %s bytes (budget: brotli at most 1,600,000)\n' "$raw" "$gz" "$br"
