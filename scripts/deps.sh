#!/usr/bin/env bash
# deps.sh: install the Debian packages the build and the tests need, when
# they are missing.
#
#   scripts/deps.sh [CHECK:PACKAGE[,PACKAGE...] ...]
#
# Each requirement is CHECK:PACKAGES. CHECK is a command looked up on PATH,
# or an absolute path that must exist; PACKAGES (comma-separated) are what
# apt-get installs when the check fails. Extra requirements come from the
# arguments and from the SSPR_DEPS environment variable (space-separated),
# so a later test can add its own, for example:
#
#   scripts/deps.sh slapd:slapd,ldap-utils redis-server:redis-server
#
# As root on Debian, missing packages are installed with one
# `apt-get update` and `apt-get install -y --no-install-recommends`.
# Otherwise the script names what is missing and fails.
set -euo pipefail

# What `make test` needs beyond Go itself: `go test -race` needs cgo, so a
# C compiler and the C library's headers (--no-install-recommends leaves
# libc6-dev out when installing gcc alone); the browser tests
# (server/e2e) drive a headless Chromium, which needs a font to render
# pages and screenshots; the LDAP tests (server/ldapdir) start a real
# slapd with the ppolicy overlay (slapd is in /usr/sbin, often not on PATH);
# the Redis state tests (server/redisstate, server/portal) start a real
# redis-server; the PostgreSQL store tests (server/pgstore, server/portal)
# start a real postgres (Debian keeps initdb and postgres in
# /usr/lib/postgresql/15/bin, off PATH; the package starts no cluster in a
# container without systemd, and the tests run their own); the Active
# Directory tests (server/ldapdir/sambatest) provision and start a Samba
# domain controller: samba, the DC's directory modules
# (samba-dsdb-modules), the VFS modules provisioning sets the sysvol's
# ACLs with (samba-vfs-modules) and the provisioning data
# (samba-ad-provision), all of which --no-install-recommends leaves out
# (samba-ad-dc would add winbind, which an LDAP-only DC doesn't need).
# The deployment kit's test (deploy/) checks the systemd unit with
# `systemd-analyze verify` (in the systemd package; nothing is started);
# `make image` copies Debian's CA certificates into the image.
DEPS=(
  gcc:gcc,libc6-dev
  /usr/include/stdlib.h:libc6-dev
  /usr/bin/chromium:chromium,fonts-dejavu-core
  /usr/sbin/slapd:slapd,ldap-utils
  /usr/bin/ldapadd:ldap-utils
  /usr/bin/redis-server:redis-server
  /usr/lib/postgresql/15/bin/postgres:postgresql-15
  /usr/sbin/samba:samba,samba-dsdb-modules,samba-vfs-modules,samba-ad-provision
  /usr/share/samba/setup/provision.ldif:samba-ad-provision
  systemd-analyze:systemd
  /etc/ssl/certs/ca-certificates.crt:ca-certificates
)

read -r -a env_deps <<<"${SSPR_DEPS:-}"
DEPS+=("${env_deps[@]}" "$@")

if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not installed (or not on PATH). This project needs the Go version in go.mod: https://go.dev/dl/" >&2
  exit 1
fi

missing=()
for dep in "${DEPS[@]}"; do
  [[ -z "$dep" ]] && continue
  check=${dep%%:*}
  pkgs=${dep#*:}
  if [[ "$check" == /* ]]; then
    [[ -e "$check" ]] && continue
  else
    command -v "$check" >/dev/null 2>&1 && continue
  fi
  IFS=, read -r -a p <<<"$pkgs"
  for pkg in "${p[@]}"; do
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  done
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: install them (on Debian: sudo apt-get install --no-install-recommends ${missing[*]}), or run as root" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's PostgreSQL package would create a "main" cluster and, where
# services start, run it on port 5432 for good. The tests run their own
# (server/pgstore/pgtest) and want no server left behind, so ask for none,
# unless this machine already says what it wants.
if [[ " ${missing[*]} " == *" postgresql-"* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
  mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
fi
apt-get update
# --force-confold: keep a configuration file already there (as above)
# without asking.
apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
