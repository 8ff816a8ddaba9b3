#!/bin/sh
# `make run`: the quickstart.  On this machine it
#   1. shows the local daos_server commands (version, storage and network scan),
#   2. validates every shipped configuration file,
#   3. generates fresh certificates into run/certs,
#   4. writes run/daos_server.yml: one engine on emulated storage sized to fit
#      this machine (ram SCM = tmpfs at run/scm0, a sparse file bdev in
#      run/bdev, fabric ofi+tcp on lo), TLS with run/certs,
#   5. starts daos_server, which waits in maintenance mode for a format,
#   6. formats with `dmg storage format`, waits for the rank to join, and shows
#      `dmg system query -v`, `dmg storage scan` and `dmg network scan`.
# The system keeps running; `make stop` (this script with "stop") stops
# daos_server and its engine and unmounts run/scm0.
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

# The tmpfs SCM of the quickstart engine (nothing else is unmounted).
unmount_scm() {
	if grep -q " $RUN/scm0 " /proc/self/mountinfo 2>/dev/null; then
		umount "$RUN/scm0" && echo "unmounted $RUN/scm0"
	fi
	rm -rf "$RUN/bdev"
}

if [ "$ACTION" = stop ]; then
	stop_server
	unmount_scm
	exit 0
fi
stop_server
unmount_scm
if [ "$(id -u)" -ne 0 ]; then
	echo "make run mounts a tmpfs as the engine's SCM and needs root; run it as root" >&2
	exit 1
fi

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

# Size the engine to this machine: targets on the cores left after the two
# system cores (at least 1; oversubscribed when there are fewer than 3
# cores), SCM a quarter of the available memory up to 4 GiB, the bdev file
# a quarter of the free disk under run/ up to 8 GB (sparse).
ncpu=$(nproc)
targets=$((ncpu - 2)); [ $targets -ge 1 ] || targets=1; [ $targets -le 8 ] || targets=8
oversub=""
[ "$ncpu" -ge $((targets + 2)) ] || oversub="DAOS_TARGET_OVERSUBSCRIBE=1"
avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
scm_gib=$((avail_kb / 4 / 1048576)); [ $scm_gib -le 4 ] || scm_gib=4
if [ $scm_gib -lt 1 ]; then
	echo "make run needs at least 4 GiB of available memory for a 1 GiB SCM tmpfs" >&2
	exit 1
fi
free_kb=$(df -Pk "$RUN" | awk 'NR == 2 {print $4}')
bdev_gb=$((free_kb / 4 / 1000000)); [ $bdev_gb -le 8 ] || bdev_gb=8
if [ $bdev_gb -lt 1 ]; then
	echo "make run needs at least 4 GB free under $RUN for the file bdev" >&2
	exit 1
fi

cat > "$RUN/daos_server.yml" <<YML
# Written by make run: one engine on emulated storage, TLS with run/certs.
name: daos_server
mgmt_svc_replicas: ["localhost:$PORT"]
port: $PORT
provider: ofi+tcp
socket_dir: $RUN/sock
control_log_file: $RUN/log/daos_server.log
control_log_mask: INFO
transport_config:
  allow_insecure: false
  client_cert_dir: $CERTS/clients
  ca_cert: $CERTS/daosCA.crt
  cert: $CERTS/server.crt
  key: $CERTS/server.key
engines:
- targets: $targets
  nr_xs_helpers: 0
  first_core: 0
  fabric_iface: lo
  fabric_iface_port: 31416
  log_file: $RUN/log/daos_engine.0.log
  log_mask: INFO
  env_vars: [$oversub]
  storage:
  - class: ram
    scm_mount: $RUN/scm0
    scm_size: $scm_gib
  - class: file
    bdev_list: [$RUN/bdev/daos-bdev]
    bdev_size: $bdev_gb
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
# daos_server finds daos_engine on PATH (else next to itself): the build tree's.
PATH="$BIN/engine:$PATH" setsid "$SRV" start -o "$RUN/daos_server.yml" > "$RUN/log/daos_server.out" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
i=0
until grep -q "format required on instance 0" "$RUN/log/daos_server.log" 2>/dev/null; do
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
step "dmg storage format"
$D storage format
step "wait for rank 0 to join (dmg system query)"
i=0
until $D system query 2>/dev/null | grep -q "^0 *Joined"; do
	if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null || [ $i -ge 600 ]; then
		echo "the engine did not join; daos_server's log:" >&2
		tail -n 30 "$RUN/log/daos_server.log" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
grep "DAOS I/O Engine" "$RUN/log/daos_server.out" || true
step "dmg system query -v"
$D system query -v
step "dmg storage scan"
$D storage scan
step "dmg network scan"
$D network scan
step "dmg server-version"
$D server-version

printf '\nA one-engine DAOS system is running (daos_server pid %s, port %s, log %s).\n' \
	"$(cat "$PIDFILE")" "$PORT" "run/log/daos_server.log"
printf 'Try: %s -o run/daos_control.yml system query -v\n' "$BUILD/src/control/dmg/dmg"
printf 'Stop it with: make stop (stops daos_server and its engine, unmounts run/scm0)\n'
