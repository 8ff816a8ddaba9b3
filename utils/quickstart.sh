#!/bin/sh
# `make run`: the quickstart.  Shows the local daos_server commands working
# on this machine's real hardware and validates every shipped configuration.
set -eu
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
SRV=$BUILD/src/control/server/daos_server
DMG=$BUILD/src/control/dmg/dmg
AGT=$BUILD/src/agent/daos_agent

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step daos_server version
$SRV version
step daos_server storage scan
$SRV storage scan
step daos_server network scan
$SRV network scan

step "validate the shipped configuration files and examples"
fail=0
for f in "$TOP"/utils/config/daos_server.yml "$TOP"/utils/config/examples/daos_server_*.yml; do
	if $SRV config validate -o "$f" >/dev/null 2>&1; then
		echo "ok    daos_server config validate -o ${f#"$TOP"/}"
	else
		echo "FAIL  daos_server config validate -o ${f#"$TOP"/}"; fail=1
	fi
done
for f in "$TOP"/utils/config/daos_agent.yml "$TOP"/utils/config/examples/daos_agent*.yml; do
	if $AGT -o "$f" config validate >/dev/null 2>&1; then
		echo "ok    daos_agent -o ${f#"$TOP"/} config validate"
	else
		echo "FAIL  daos_agent -o ${f#"$TOP"/} config validate"; fail=1
	fi
done
for f in "$TOP"/utils/config/daos_control.yml "$TOP"/utils/config/examples/daos_control*.yml; do
	if $DMG -o "$f" config validate >/dev/null 2>&1; then
		echo "ok    dmg -o ${f#"$TOP"/} config validate"
	else
		echo "FAIL  dmg -o ${f#"$TOP"/} config validate"; fail=1
	fi
done

step "daos_server config validate -o utils/config/examples/daos_server_local.yml (effective config, first lines)"
$SRV config validate -o "$TOP"/utils/config/examples/daos_server_local.yml 2>&1 | head -12
exit $fail
