#!/bin/bash
#
# Create a private certificate authority and the certificates of the DAOS
# control plane under DIR/daosCA (DIR defaults to the current directory):
#
#   daosCA/private/daosCA.key        CA key (RSA 3072, 0400)
#   daosCA/certs/daosCA.crt          CA certificate (O=DAOS, CN=DAOS CA, SHA-512, 1095 days)
#   daosCA/certs/{server,agent,admin}.{crt,key}
#                                    leaf certificates, O=DAOS, CN=<role>, signed by the CA
#   daosCA/certs/clients/{agent,admin}.crt
#                                    copies for the servers' client_cert_dir
#
# Servers need daosCA.crt, server.crt/key and clients/; client nodes need
# daosCA.crt and agent.crt/key; admin nodes need daosCA.crt and admin.crt/key
# (usually under /etc/daos/certs).  File owners are set only for the daos
# users and groups that exist on this machine.  An existing daosCA is never
# overwritten.
set -euo pipefail

usage() {
	echo "usage: $(basename "$0") [DIR]" >&2
	echo "Creates DIR/daosCA with the DAOS CA and the server, agent and admin certificates." >&2
	exit 2
}

[ $# -le 1 ] || usage
case "${1:-}" in -h | --help) usage ;; esac

DIR="${1:-.}"
CA_HOME="${DIR%/}/daosCA"
PRIVATE="$CA_HOME/private"
CERTS="$CA_HOME/certs"
CLIENTS="$CERTS/clients"
DAYS=1095
BITS=3072

if [ -e "$CA_HOME" ]; then
	echo "$CA_HOME already exists, exiting." >&2
	exit 1
fi
command -v openssl >/dev/null || { echo "openssl not found; install it first" >&2; exit 1; }

# Owner changes only make sense as root and only for accounts that exist.
set_owner() { # owner group file...
	local owner=$1 group=$2
	shift 2
	[ "$(id -u)" -eq 0 ] || return 0
	if [ -n "$owner" ] && ! id -u "$owner" >/dev/null 2>&1; then owner=""; fi
	if [ -n "$group" ] && ! getent group "$group" >/dev/null 2>&1; then group=""; fi
	if [ -n "$owner" ] && [ -n "$group" ]; then
		chown "$owner:$group" "$@"
	elif [ -n "$owner" ]; then
		chown "$owner" "$@"
	elif [ -n "$group" ]; then
		chgrp "$group" "$@"
	fi
}

# Request configurations, CSRs and openssl's numbered copies are temporary.
cleanup() {
	rm -f "$CA_HOME/ca.cnf" "$CA_HOME"/*.csr "$CA_HOME"/*.req.cnf "$CERTS"/*.pem \
		"$CA_HOME"/index.txt.old "$CA_HOME"/index.txt.attr.old \
		"$CA_HOME"/serial.txt.old
}
trap cleanup EXIT

mkdir -p "$DIR"
mkdir -m 0700 "$CA_HOME"
mkdir -m 0700 "$PRIVATE"
mkdir -m 0755 "$CERTS"

cat >"$CA_HOME/ca.cnf" <<CNF
[ ca ]
default_ca = CA_daos

[ CA_daos ]
dir = $CA_HOME
database = \$dir/index.txt
serial = \$dir/serial.txt
new_certs_dir = \$dir/certs
certificate = \$dir/certs/daosCA.crt
private_key = \$dir/private/daosCA.key
default_md = sha512
default_days = $DAYS
copy_extensions = copy
unique_subject = no
policy = signing_policy

[ req ]
prompt = no
default_bits = $BITS
default_md = sha512
distinguished_name = ca_dn
x509_extensions = ca_extensions

[ ca_dn ]
O = DAOS
CN = DAOS CA

[ ca_extensions ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign
basicConstraints = critical,CA:true,pathlen:1

[ signing_policy ]
organizationName = supplied
commonName = supplied

[ signing_server ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth

[ signing_agent ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth

[ signing_admin ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
CNF

echo "Generating the DAOS CA in $CA_HOME"
openssl genrsa -out "$PRIVATE/daosCA.key" "$BITS" 2>/dev/null
chmod 0400 "$PRIVATE/daosCA.key"
set_owner root root "$PRIVATE/daosCA.key"
openssl req -new -x509 -config "$CA_HOME/ca.cnf" -days "$DAYS" -sha512 \
	-key "$PRIVATE/daosCA.key" -out "$CERTS/daosCA.crt" -batch
chmod 0644 "$CERTS/daosCA.crt"
set_owner root daos_daemons "$CERTS/daosCA.crt"
: >"$CA_HOME/index.txt"
echo 01 >"$CA_HOME/serial.txt"

gen_leaf() { # role owner
	local role=$1 owner=$2
	echo "Generating the $role certificate"
	openssl genrsa -out "$CERTS/$role.key" "$BITS" 2>/dev/null
	chmod 0400 "$CERTS/$role.key"
	[ -z "$owner" ] || set_owner "$owner" "$owner" "$CERTS/$role.key"
	cat >"$CA_HOME/$role.req.cnf" <<CNF
[ req ]
prompt = no
default_md = sha512
distinguished_name = dn

[ dn ]
O = DAOS
CN = $role
CNF
	openssl req -new -config "$CA_HOME/$role.req.cnf" -key "$CERTS/$role.key" \
		-out "$CA_HOME/$role.csr" -batch
	openssl ca -config "$CA_HOME/ca.cnf" -keyfile "$PRIVATE/daosCA.key" \
		-cert "$CERTS/daosCA.crt" -policy signing_policy -extensions "signing_$role" \
		-out "$CERTS/$role.crt" -outdir "$CERTS" -in "$CA_HOME/$role.csr" -batch 2>/dev/null
	chmod 0644 "$CERTS/$role.crt"
}

gen_leaf server daos_server
gen_leaf agent daos_agent
gen_leaf admin ""

# 0750, not upstream's 0755: daos_server refuses a client certificate directory
# readable by others, so the directory must be usable as generated.
mkdir -m 0750 "$CLIENTS"
cp "$CERTS/agent.crt" "$CERTS/admin.crt" "$CLIENTS/"
chmod 0644 "$CLIENTS/agent.crt" "$CLIENTS/admin.crt"
set_owner daos_server daos_daemons "$CLIENTS" "$CLIENTS/agent.crt" "$CLIENTS/admin.crt"

echo "Certificates are in $CERTS; the CA key is in $PRIVATE (keep it safe)."
