#!/bin/sh
# `make run`: show the local daos_server commands working on this machine.
set -eu
BUILD=${1:-build}
SRV=$BUILD/src/control/server/daos_server
echo "== daos_server version"
$SRV version
