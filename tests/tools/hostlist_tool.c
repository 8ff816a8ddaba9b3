/*
 * Test-only front end to the hostlist and rank set library, so system tests
 * can compare our parser with ClusterShell's nodeset.  Not installed.
 *
 *   hostlist_tool expand <list>        hosts in list order, duplicates kept, one per line
 *   hostlist_tool uniq <list>          hosts of the set (sorted, unique), one per line
 *   hostlist_tool count <list>         number of unique hosts
 *   hostlist_tool count-list <list>    number of hosts including duplicates
 *   hostlist_tool compress <list>      ranged string of the set
 *   hostlist_tool ranged <list>        ranged string of the list (order kept)
 *   hostlist_tool addrs <port> <list>  host:port addresses, one per line
 *   hostlist_tool ranks <ranks>        "<String()> <RangedString()> <count>"
 *   hostlist_tool batch                stdin lines "<command>\t<argument>"; one
 *                                      stdout line each: "ok\t<result>" (lists
 *                                      comma-joined) or "error\t<message>"
 * Exit status: 0 success, 1 bad input (message on stderr), 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"

static int
print_cb(const char *host, void *arg)
{
	struct d_sbuf *sb = arg;

	if (sb->len > 0)
		d_sbuf_putn(sb, "\n", 1);
	d_sbuf_printf(sb, "%s", host);
	return sb->failed ? -DER_NOMEM : 0;
}

/* Run one command; on success *res holds lines joined by '\n'. */
static int
run(const char *cmd, const char *arg, const char *arg2, char **res, struct d_errbuf *eb)
{
	struct d_hostlist *hl = NULL;
	struct d_hostset  *hs = NULL;
	struct d_rankset  *rs = NULL;
	struct d_sbuf	   sb;
	int		   rc;

	d_sbuf_init(&sb);
	if (strcmp(cmd, "expand") == 0 || strcmp(cmd, "count-list") == 0 ||
	    strcmp(cmd, "ranged") == 0) {
		rc = d_hostlist_parse(arg, &hl, eb);
		if (rc != 0)
			goto out;
		if (cmd[0] == 'e')
			rc = d_hostlist_foreach(hl, print_cb, &sb);
		else if (cmd[0] == 'c')
			rc = d_sbuf_printf(&sb, "%zu", d_hostlist_count(hl));
		else
			rc = d_hostlist_ranged(hl, res);
	} else if (strcmp(cmd, "uniq") == 0 || strcmp(cmd, "count") == 0 ||
		   strcmp(cmd, "compress") == 0) {
		rc = d_hostset_parse(arg, &hs, eb);
		if (rc != 0)
			goto out;
		if (cmd[0] == 'u')
			rc = d_hostset_foreach(hs, print_cb, &sb);
		else if (cmd[1] == 'o' && cmd[2] == 'u')
			rc = d_sbuf_printf(&sb, "%zu", d_hostset_count(hs));
		else
			rc = d_hostset_ranged(hs, res);
	} else if (strcmp(cmd, "addrs") == 0 && arg2 != NULL) {
		char	    **addrs;
		size_t	      n;
		char	     *end;
		unsigned long port = strtoul(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || port > 65535) {
			d_errbuf_set(eb, "invalid port \"%s\"", arg);
			rc = -DER_INVAL;
			goto out;
		}
		rc = d_host_addrs_parse(arg2, (unsigned int)port, &addrs, &n, eb);
		if (rc != 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			print_cb(addrs[i], &sb);
		d_host_addrs_free(addrs, n);
	} else if (strcmp(cmd, "ranks") == 0) {
		char *s = NULL, *r = NULL;

		rc = d_rankset_parse(arg, &rs, eb);
		if (rc != 0)
			goto out;
		rc = d_rankset_str(rs, &s);
		if (rc == 0)
			rc = d_rankset_ranged(rs, &r);
		if (rc == 0)
			d_sbuf_printf(&sb, "%s %s %" PRIu64, s, r, d_rankset_count(rs));
		free(s);
		free(r);
	} else {
		d_errbuf_set(eb, "unknown command \"%s\"", cmd);
		rc = -DER_NOSYS;
		goto out;
	}
	if (rc == 0 && *res == NULL) {
		if (sb.failed)
			rc = -DER_NOMEM;
		else
			*res = d_sbuf_take(&sb);
	}
	if (rc == -DER_NOMEM)
		d_errbuf_set(eb, "out of memory");
out:
	d_sbuf_fini(&sb);
	d_hostlist_destroy(hl);
	d_hostset_destroy(hs);
	d_rankset_destroy(rs);
	return rc;
}

static int
batch(void)
{
	char   *line = NULL;
	size_t	cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		struct d_errbuf eb = {{0}};
		char	       *tab, *res = NULL, *arg2 = NULL;
		int		rc;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		tab = strchr(line, '\t');
		if (tab == NULL) {
			printf("error\tbatch line without a tab between command and argument\n");
			continue;
		}
		*tab++ = '\0';
		if (strcmp(line, "addrs") == 0 && (arg2 = strchr(tab, '\t')) != NULL)
			*arg2++ = '\0';
		rc = run(line, tab, arg2, &res, &eb);
		if (rc == 0) {
			for (char *p = res; *p; p++)
				if (*p == '\n')
					*p = ',';
			printf("ok\t%s\n", res);
		} else {
			printf("error\t%s\n", eb.msg);
		}
		free(res);
	}
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	struct d_errbuf eb = {{0}};
	char	       *res = NULL;
	int		rc;

	if (argc == 2 && strcmp(argv[1], "batch") == 0)
		return batch();
	if (argc < 3 || argc > 4 || (argc == 4) != (strcmp(argv[1], "addrs") == 0)) {
		fprintf(stderr, "usage: hostlist_tool expand|uniq|count|count-list|compress|ranged|"
				"ranks <list> | addrs <port> <list> | batch\n");
		return 2;
	}
	rc = run(argv[1], argv[2], argc == 4 ? argv[3] : NULL, &res, &eb);
	if (rc != 0) {
		fprintf(stderr, "hostlist_tool: %s\n", eb.msg);
		return rc == -DER_NOSYS ? 2 : 1;
	}
	if (*res != '\0')
		printf("%s\n", res);
	free(res);
	return 0;
}
