#!/bin/sh
# `make run`: the quickstart.  On this machine's real hardware it
#   1. shows the local daos_server commands (version, storage and network scan),
#   2. validates every shipped configuration file,
#   3. generates fresh certificates into run/certs,
#   4. starts daos_server in listening (discovery) mode with TLS, and
#   5. asks it over TLS with dmg: storage scan, network scan, server-version,
#      and config generate for this host.
# The server keeps running; `make stop` (this script with "stop") ends it.
set -eu
BUILD=${1:-build}
ACTION=${2:-run}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$BUILD/src
SRV=$BIN/control/server/daos_server
DMG=$BIN/control/dmg/dmg
AGT=$BIN/agent/daos_agent
RUN=$TOP/run
PIDFILE=$RUN/daos_server.pid
PORT=${DAOS_QUICKSTART_PORT:-10001}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

stop_server() {
	[ -f "$PIDFILE" ] || return 0
	pid=$(cat "$PIDFILE")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$pid" 2>/dev/null; then
			echo "daos_server (pid $pid) did not stop after SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "stopped daos_server (pid $pid)"
	fi
	rm -f "$PIDFILE"
}

if [ "$ACTION" = stop ]; then
	stop_server
	exit 0
fi
stop_server

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
[ $fail -eq 0 ] || exit 1

step "utils/certs/gen_certificates.sh run/certs"
rm -rf "$RUN/certs"
mkdir -p "$RUN/certs" "$RUN/log" "$RUN/sock"
"$TOP"/utils/certs/gen_certificates.sh "$RUN/certs" | tail -n 3
CERTS=$RUN/certs/daosCA/certs

cat > "$RUN/daos_server.yml" <<YML
# Written by make run: listening (discovery) mode, TLS with run/certs.
name: daos_server
mgmt_svc_replicas: ["localhost:$PORT"]
port: $PORT
socket_dir: $RUN/sock
control_log_file: $RUN/log/daos_server.log
control_log_mask: INFO
transport_config:
  allow_insecure: false
  client_cert_dir: $CERTS/clients
  ca_cert: $CERTS/daosCA.crt
  cert: $CERTS/server.crt
  key: $CERTS/server.key
YML
cat > "$RUN/daos_control.yml" <<YML
# Written by make run: dmg talks to the local daos_server over TLS.
name: daos_server
port: $PORT
hostlist: ["localhost"]
transport_config:
  allow_insecure: false
  ca_cert: $CERTS/daosCA.crt
  cert: $CERTS/admin.crt
  key: $CERTS/admin.key
YML

step "daos_server start -o run/daos_server.yml &"
: > "$RUN/log/daos_server.log"
setsid "$SRV" start -o "$RUN/daos_server.yml" > "$RUN/log/daos_server.out" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
i=0
until grep -q "listening on" "$RUN/log/daos_server.log" 2>/dev/null; do
	if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null || [ $i -ge 100 ]; then
		echo "daos_server did not start; its output:" >&2
		cat "$RUN/log/daos_server.out" "$RUN/log/daos_server.log" >&2
		rm -f "$PIDFILE"
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
cat "$RUN/log/daos_server.log"

D="$DMG -o $RUN/daos_control.yml"
step "dmg storage scan"
$D storage scan
step "dmg network scan"
$D network scan
step "dmg server-version"
$D server-version
step "dmg config generate -a localhost -t --min-ssds=0 -c ethernet"
$D config generate -a localhost -t --min-ssds=0 -c ethernet | sed -n '/^engines:/,$p' | head -n 20

printf '\ndaos_server is running in listening mode (pid %s, port %s, log %s).\n' \
	"$(cat "$PIDFILE")" "$PORT" "run/log/daos_server.log"
printf 'Try: %s -o run/daos_control.yml storage scan --verbose\n' "$BUILD/src/control/dmg/dmg"
printf 'Stop it with: make stop\n'
