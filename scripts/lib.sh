# lib.sh: what the measuring scripts (bench.sh, million.sh) share; they
# source it.

# free_port prints a TCP port free on loopback now (the system's choice;
# another process may take it before it is used, which the caller's start
# then reports), or a random one in 18000-18999 without python3.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((18000 + RANDOM % 1000))
}

# await_server URL LOG WHO: waits up to 30 s for URL to answer 2xx; if it
# doesn't, prints the server's LOG and exits 1, the message naming WHO.
await_server() {
  local url=$1 log=$2 who=$3
  for _ in $(seq 300); do
    curl -sf "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$who: the server did not start; its log:" >&2
  cat "$log" >&2
  exit 1
}
