#!/bin/sh
# Install the Debian packages the project needs to build, test and run.
# Idempotent and quiet when everything is already present.
set -eu

PKGS="meson ninja-build pkg-config gcc make clang clang-format
libyaml-dev libssl-dev openssl libprotobuf-c-dev protobuf-c-compiler
libfabric-dev libfabric-bin libhwloc-dev hwloc libndctl-dev ndctl liburing-dev
libisal-dev libraft-dev libcmocka-dev libsystemd-dev
python3-pytest python3-yaml clustershell
iproute2 util-linux e2fsprogs procps systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "Installing missing packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "error: packages missing ($missing) and not running as root; install them or rerun as root" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
