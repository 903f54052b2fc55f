# lib.sh: what the measuring scripts (bench.sh, million.sh) share; they
# source it.

# free_port prints a TCP port free on loopback now (the system's choice;
# another process may take it before it is used, which the caller's start
# then reports), or a random one in 18000-18999 without python3.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((18000 + RANDOM % 1000))
}
