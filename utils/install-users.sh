#!/bin/sh
# Run by `meson install` (`make install`) after the files are in place:
# creates the service users and groups and gives daos_server_helper its
# permissions (setuid root, mode 4750, group daos_server: only the
# daos_server group may run it).
#
# Users and groups, as upstream's packages make them: groups daos_server,
# daos_agent, daos_metrics and daos_daemons; system user daos_server (group
# daos_server, also in daos_metrics and daos_daemons) and daos_agent (group
# daos_agent, also in daos_daemons), no home, no login shell.
#
# Under DESTDIR they are added to DESTDIR/etc/{passwd,group,...} when those
# files exist there (an image being built), otherwise left to the package's
# install scripts.  Not root: nothing is created and the helper stays an
# ordinary program (daos_server must then run as root).
set -eu

helper="${MESON_INSTALL_DESTDIR_PREFIX:?run by meson install}/bin/daos_server_helper"
dest="${DESTDIR:-}"
note() { echo "install-users: $*"; }

if [ "$(id -u)" != 0 ]; then
	note "not root: no users created; $helper is not setuid (run daos_server as root," \
	     "or install as root)"
	exit 0
fi

if [ -n "$dest" ] && [ ! -f "$dest/etc/passwd" -o ! -f "$dest/etc/group" ]; then
	note "no $dest/etc/passwd or group: users daos_server and daos_agent are left to the" \
	     "package; give $helper group daos_server once it exists"
	chown root:root "$helper"
	chmod 4750 "$helper"
	exit 0
fi

prefix_opt=""
[ -n "$dest" ] && prefix_opt="--prefix $dest"

group_id() {	# gid of group $1 in the target's group file, or nothing
	awk -F: -v g="$1" '$1 == g { print $3 }' "$dest/etc/group"
}
has_user() {
	awk -F: -v u="$1" '$1 == u { f = 1 } END { exit !f }' "$dest/etc/passwd"
}

for g in daos_metrics daos_daemons daos_server daos_agent; do
	if [ -z "$(group_id "$g")" ]; then
		# shellcheck disable=SC2086
		groupadd $prefix_opt -r "$g"
		note "group $g created"
	fi
done
add_user() {	# user, its groups
	if ! has_user "$1"; then
		# shellcheck disable=SC2086
		useradd $prefix_opt -r -M -d / -s /usr/sbin/nologin -g "$1" -G "$2" \
			-c "DAOS $1" "$1"
		note "user $1 created"
	fi
}
add_user daos_server daos_metrics,daos_daemons
add_user daos_agent daos_daemons

chown "root:$(group_id daos_server)" "$helper"
chmod 4750 "$helper"
note "$helper: root:daos_server, mode 4750"
