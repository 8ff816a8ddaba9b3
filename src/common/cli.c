/*
 * Command-line parser behaving like the go-flags configuration upstream's
 * Go binaries use (HelpFlag | PrintErrors | PassDoubleDash): options are
 * looked up in the command reached so far and its ancestors, a non-option
 * word selects a subcommand while the current command has subcommands, and
 * the first error stops parsing.  Messages and the help layout follow
 * go-flags (help.go's alignment rules, parser.go's error texts), including
 * its "did you mean" hint for near-miss command names.
 *
 * This file parses and prints usage; it does not know any DAOS command.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>

#include "common/cli.h"

#define CLI_MAX_DEPTH	16
#define CLI_TERM_COLS	80 /* go-flags' width when stdout is not a terminal */
#define CLI_PAD_BEFORE	2  /* paddingBeforeOption */
#define CLI_PAD_BETWEEN 2  /* distanceBetweenOptionAndDescription */

struct cli_value {
	const struct d_cli_opt *opt;
	const char	       *val; /* points into argv; NULL for bools */
};

struct d_cli_parsed {
	const struct d_cli_cmd *path[CLI_MAX_DEPTH];
	int			depth;
	struct cli_value       *vals;
	int			nvals;
	const char	      **list; /* last d_cli_get_list() answer */
};

static const struct d_cli_opt help_opt = {
	.short_name = 'h',
	.long_name = "help",
	.type = D_OPT_BOOL,
	.help = "Show this help message",
};

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static bool
opt_visible(const struct d_cli_opt *o)
{
	return !o->hidden;
}

static int
count_visible_opts(const struct d_cli_cmd *c)
{
	int n = 0;

	for (const struct d_cli_opt *o = c->opts; o != NULL && o->long_name != NULL; o++)
		n += opt_visible(o);
	return n;
}

/* The i-th subcommand: those of `subcmds` first, then `subcmd_ptrs`. */
static const struct d_cli_cmd *
subcmd_at(const struct d_cli_cmd *c, int i)
{
	int n = 0;

	if (c->subcmds != NULL) {
		while (c->subcmds[n].name != NULL)
			n++;
		if (i < n)
			return &c->subcmds[i];
	}
	if (c->subcmd_ptrs != NULL)
		for (int j = 0; c->subcmd_ptrs[j] != NULL; j++)
			if (n + j == i)
				return c->subcmd_ptrs[j];
	return NULL;
}

/* Visible subcommands sorted by name (go-flags sortedVisibleCommands). */
static int
sorted_subcmds(const struct d_cli_cmd *c, const struct d_cli_cmd **out, int max)
{
	const struct d_cli_cmd *s;
	int			n = 0;

	for (int k = 0; (s = subcmd_at(c, k)) != NULL; k++) {
		int i;

		if (s->hidden || n == max)
			continue;
		for (i = n; i > 0 && strcmp(out[i - 1]->name, s->name) > 0; i--)
			out[i] = out[i - 1];
		out[i] = s;
		n++;
	}
	return n;
}

#define CLI_MAX_SUBCMDS 128

/* ------------------------------------------------------------------ */
/* Usage text                                                           */

struct align {
	int  max_long;
	bool has_short;
	bool has_value;
};

static void
align_add(struct align *a, const struct d_cli_opt *o, bool indent)
{
	int l;

	if (!opt_visible(o))
		return;
	if (o->short_name != 0)
		a->has_short = true;
	if (o->arg_name != NULL && o->arg_name[0] != '\0')
		a->has_value = true;
	l = (int)strlen(o->long_name) + (o->arg_name != NULL ? (int)strlen(o->arg_name) : 0);
	if (indent)
		l += 4;
	if (l > a->max_long)
		a->max_long = l;
}

static int
desc_start(const struct align *a)
{
	int ret = a->max_long + CLI_PAD_BETWEEN;

	if (a->has_short)
		ret += 2;
	if (a->max_long > 0)
		ret += 4;
	if (a->has_value)
		ret += 3;
	return ret + CLI_PAD_BEFORE;
}

/* Wrap `text` at spaces to `width` columns, continuation lines at `col`. */
static void
put_wrapped(FILE *out, const char *text, int width, int col)
{
	if (width < 10)
		width = 10;
	while ((int)strlen(text) > width) {
		int cut = width;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0) { /* no space: hyphenate as go-flags does */
			fprintf(out, "%.*s-\n%*s", width - 1, text, col, "");
			text += width - 1;
			continue;
		}
		fprintf(out, "%.*s\n%*s", cut, text, col, "");
		text += cut;
		while (*text == ' ')
			text++;
	}
	fputs(text, out);
}

static void
put_opt_line(FILE *out, const struct d_cli_opt *o, const struct align *a, bool indent)
{
	int start = desc_start(a);
	int n;

	if (!opt_visible(o))
		return;
	n = fprintf(out, "%*s", CLI_PAD_BEFORE + (indent ? 4 : 0), "");
	if (o->short_name != 0)
		n += fprintf(out, "-%c, ", o->short_name);
	else if (a->has_short)
		n += fprintf(out, "    ");
	n += fprintf(out, "--%s", o->long_name);
	if (o->type != D_OPT_BOOL)
		n += fprintf(out, "=%s", o->arg_name != NULL ? o->arg_name : "");
	if (o->help != NULL && o->help[0] != '\0') {
		char *desc = NULL;

		fprintf(out, "%*s", start - n > 0 ? start - n : 0, "");
		if (o->deflt != NULL && o->deflt[0] != '\0')
			desc = d_asprintf("%s (default: %s)", o->help, o->deflt);
		put_wrapped(out, desc != NULL ? desc : o->help, CLI_TERM_COLS - start, start);
		D_FREE(desc);
	}
	fputc('\n', out);
}

static void
usage_path(FILE *out, const char *prog, const struct d_cli_cmd *const *path, int depth)
{
	const struct d_cli_cmd *leaf = path[depth - 1];
	const struct d_cli_cmd *subs[CLI_MAX_SUBCMDS];
	int			nsub;

	fprintf(out, "Usage:\n  %s [OPTIONS]", prog);
	for (int i = 1; i < depth; i++) {
		fprintf(out, " %s", path[i]->name);
		if (count_visible_opts(path[i]) > 0)
			fprintf(out, " [%s-OPTIONS]", path[i]->name);
	}
	for (int i = 0; i < depth; i++)
		if (path[i]->args_usage != NULL)
			fprintf(out, " %s", path[i]->args_usage);
	nsub = sorted_subcmds(leaf, subs, CLI_MAX_SUBCMDS);
	if (nsub > 0) {
		/* a command that runs on its own makes its subcommands optional */
		char co = leaf->run != NULL ? '[' : '<';
		char cc = leaf->run != NULL ? ']' : '>';

		if (nsub > 3) {
			fprintf(out, " %ccommand%c", co, cc);
		} else {
			fprintf(out, " %c", co);
			for (int i = 0; i < nsub; i++)
				fprintf(out, "%s%s", i > 0 ? " | " : "", subs[i]->name);
			fputc(cc, out);
		}
	}
	fputc('\n', out);
}

static void
usage_print(FILE *out, const char *prog, const struct d_cli_cmd *const *path, int depth)
{
	const struct d_cli_cmd *root = path[0];
	const struct d_cli_cmd *leaf = path[depth - 1];
	const struct d_cli_cmd *subs[CLI_MAX_SUBCMDS];
	struct align		a = {0};
	bool			indent;
	int			nsub;
	size_t			maxname = 0;

	usage_path(out, prog, path, depth);

	for (int i = 0; i < depth; i++)
		for (const struct d_cli_opt *o = path[i]->opts; o != NULL && o->long_name != NULL;
		     o++)
			align_add(&a, o, i > 0);
	align_add(&a, &help_opt, false);

	if (count_visible_opts(root) > 0) {
		fputs("\nApplication Options:\n", out);
		for (const struct d_cli_opt *o = root->opts; o->long_name != NULL; o++)
			put_opt_line(out, o, &a, false);
	}
	fputs("\nHelp Options:\n", out);
	put_opt_line(out, &help_opt, &a, false);

	/* go-flags keeps the extra indent once a command section was printed */
	indent = false;
	for (int i = 1; i < depth; i++) {
		if (count_visible_opts(path[i]) == 0)
			continue;
		fprintf(out, "\n[%s command options]\n", path[i]->name);
		indent = true;
		for (const struct d_cli_opt *o = path[i]->opts; o->long_name != NULL; o++)
			put_opt_line(out, o, &a, indent);
	}

	nsub = sorted_subcmds(leaf, subs, CLI_MAX_SUBCMDS);
	if (nsub == 0)
		return;
	for (int i = 0; i < nsub; i++)
		if (strlen(subs[i]->name) > maxname)
			maxname = strlen(subs[i]->name);
	fputs("\nAvailable commands:\n", out);
	for (int i = 0; i < nsub; i++) {
		fprintf(out, "  %s", subs[i]->name);
		if (subs[i]->help != NULL && subs[i]->help[0] != '\0') {
			fprintf(out, "%*s  %s", (int)(maxname - strlen(subs[i]->name)), "",
				subs[i]->help);
			if (subs[i]->aliases[0] != NULL) {
				fputs(" (aliases: ", out);
				for (int j = 0; j < 4 && subs[i]->aliases[j] != NULL; j++)
					fprintf(out, "%s%s", j > 0 ? ", " : "",
						subs[i]->aliases[j]);
				fputc(')', out);
			}
		}
		fputc('\n', out);
	}
}

void
d_cli_usage(const struct d_cli_ctx *ctx, FILE *out)
{
	if (ctx->parsed != NULL && ctx->parsed->depth > 0) {
		const struct d_cli_parsed *p = ctx->parsed;
		int			   d = p->depth;

		/* print for ctx->cmd when it is on the parsed path */
		if (ctx->cmd != NULL)
			for (int i = 0; i < p->depth; i++)
				if (p->path[i] == ctx->cmd)
					d = i + 1;
		usage_print(out, ctx->prog, p->path, d);
		return;
	}
	if (ctx->cmd != NULL) {
		const struct d_cli_cmd *path[1] = {ctx->cmd};

		usage_print(out, ctx->prog, path, 1);
	}
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* Levenshtein distance, for the "did you mean" hint. */
static int
edit_distance(const char *a, const char *b)
{
	size_t lb = strlen(b);
	int   *row;
	int    ret;

	D_ALLOC_ARRAY(row, lb + 1);
	if (row == NULL)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; a[i - 1] != '\0'; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	ret = row[lb];
	D_FREE(row);
	return ret;
}

/* "a, b or c" of the visible subcommands. */
static void
put_choices(struct d_sbuf *sb, const struct d_cli_cmd *const *subs, int n)
{
	for (int i = 0; i < n; i++)
		d_sbuf_printf(sb, "%s%s", i == 0 ? "" : (i == n - 1 ? " or " : ", "),
			      subs[i]->name);
}

/* go-flags estimateCommand(): the message for a missing or unknown command. */
static char *
command_error(const struct d_cli_cmd *cmd, const char *given)
{
	const struct d_cli_cmd *subs[CLI_MAX_SUBCMDS];
	int			n = sorted_subcmds(cmd, subs, CLI_MAX_SUBCMDS);
	struct d_sbuf		sb;

	d_sbuf_init(&sb);
	if (given != NULL) {
		int best = -1;
		int dist = INT_MAX;

		d_sbuf_printf(&sb, "Unknown command `%s'", given);
		for (int i = 0; i < n; i++) {
			int d = edit_distance(given, subs[i]->name);

			if (d < dist) {
				dist = d;
				best = i;
			}
		}
		if (best >= 0 && (float)dist / (float)strlen(subs[best]->name) < 0.5f) {
			d_sbuf_printf(&sb, ", did you mean `%s'?", subs[best]->name);
		} else if (n == 1) {
			d_sbuf_printf(&sb, ". You should use the %s command", subs[0]->name);
		} else if (n > 1) {
			d_sbuf_printf(&sb, ". Please specify one command of: ");
			put_choices(&sb, subs, n);
		}
	} else if (n == 0) {
		/* a table without run() nor visible subcommands: a programming error */
		d_sbuf_printf(&sb, "command `%s' has nothing to run", cmd->name);
	} else if (n == 1) {
		d_sbuf_printf(&sb, "Please specify the %s command", subs[0]->name);
	} else {
		d_sbuf_printf(&sb, "Please specify one command of: ");
		put_choices(&sb, subs, n);
	}
	if (sb.failed) {
		d_sbuf_fini(&sb);
		return NULL;
	}
	return d_sbuf_take(&sb);
}

/* go-flags Option.String(): "-p, --provider", "--provider" or "-p". */
static void
opt_name(char *buf, size_t len, const struct d_cli_opt *o)
{
	if (o->short_name != 0)
		snprintf(buf, len, "-%c, --%s", o->short_name, o->long_name);
	else
		snprintf(buf, len, "--%s", o->long_name);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

struct parse_state {
	const char	    *prog;
	struct d_cli_parsed *p;
	char		   **pos; /* positional arguments */
	int		     npos;
	char		     err[512];
	bool		     help;
	bool		     nomem; /* no usage after "out of memory" */
};

static const struct d_cli_opt *
find_opt(struct parse_state *s, const char *long_name, size_t len, char short_name)
{
	for (int i = s->p->depth - 1; i >= 0; i--)
		for (const struct d_cli_opt *o = s->p->path[i]->opts;
		     o != NULL && o->long_name != NULL; o++)
			if (long_name != NULL ? (strlen(o->long_name) == len &&
						 strncmp(o->long_name, long_name, len) == 0)
					      : (short_name != 0 && o->short_name == short_name))
				return o;
	if (long_name != NULL ? (len == 4 && strncmp(long_name, "help", 4) == 0)
			      : short_name == 'h')
		return &help_opt;
	return NULL;
}

static int
record(struct parse_state *s, const struct d_cli_opt *o, const char *val)
{
	struct cli_value *n;

	if (o == &help_opt) {
		s->help = true;
		return 1; /* stop parsing: help for what was reached */
	}
	n = d_realloc(s->p->vals, sizeof(*n) * (size_t)(s->p->nvals + 1));
	if (n == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		s->nomem = true;
		return -DER_NOMEM;
	}
	s->p->vals = n;
	s->p->vals[s->p->nvals].opt = o;
	s->p->vals[s->p->nvals++].val = val;
	return 0;
}

/*
 * Set option o.  `inline_val` is the text after '=' (long) or the rest of a
 * short group; otherwise the value is the next argument, whatever it looks
 * like (go-flags takes `-p -x` as provider "-x"), except "--".
 */
static int
set_opt(struct parse_state *s, const struct d_cli_opt *o, const char *inline_val, int argc,
	char **argv, int *i)
{
	char name[128];

	opt_name(name, sizeof(name), o);
	if (o->type == D_OPT_BOOL) {
		if (inline_val != NULL) {
			snprintf(s->err, sizeof(s->err), "bool flag `%s' cannot have an argument",
				 name);
			return -DER_INVAL;
		}
		return record(s, o, NULL);
	}
	if (inline_val != NULL)
		return record(s, o, inline_val);
	if (*i + 1 >= argc) {
		snprintf(s->err, sizeof(s->err), "expected argument for flag `%s'", name);
		return -DER_INVAL;
	}
	if (strcmp(argv[*i + 1], "--") == 0) {
		snprintf(s->err, sizeof(s->err),
			 "expected argument for flag `%s', but got double dash `--'", name);
		return -DER_INVAL;
	}
	(*i)++;
	return record(s, o, argv[*i]);
}

static int
parse_long(struct parse_state *s, int argc, char **argv, int *i)
{
	const char	       *name = argv[*i] + 2;
	const char	       *eq = strchr(name, '=');
	size_t			len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct d_cli_opt *o = find_opt(s, name, len, 0);

	if (o == NULL) {
		snprintf(s->err, sizeof(s->err), "unknown flag `%.*s'", (int)len, name);
		return -DER_INVAL;
	}
	return set_opt(s, o, eq != NULL ? eq + 1 : NULL, argc, argv, i);
}

static int
parse_short(struct parse_state *s, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	for (int j = 1; arg[j] != '\0'; j++) {
		const struct d_cli_opt *o = find_opt(s, NULL, 0, arg[j]);
		int			rc;

		if (o == NULL) {
			snprintf(s->err, sizeof(s->err), "unknown flag `%c'", arg[j]);
			return -DER_INVAL;
		}
		if (o->type != D_OPT_BOOL) /* the rest of the group is its value */
			return set_opt(s, o, arg[j + 1] != '\0' ? arg + j + 1 : NULL, argc, argv,
				       i);
		rc = set_opt(s, o, NULL, argc, argv, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct d_cli_cmd *
find_subcmd(const struct d_cli_cmd *c, const char *name)
{
	const struct d_cli_cmd *s;

	for (int k = 0; (s = subcmd_at(c, k)) != NULL; k++) {
		if (strcmp(s->name, name) == 0)
			return s;
		for (int j = 0; j < 4 && s->aliases[j] != NULL; j++)
			if (strcmp(s->aliases[j], name) == 0)
				return s;
	}
	return NULL;
}

static bool
has_subcmds(const struct d_cli_cmd *c)
{
	return subcmd_at(c, 0) != NULL;
}

/* optstyle_other.go argumentIsOption() */
static bool
is_option(const char *arg)
{
	if (arg[0] == '-' && arg[1] != '\0' && arg[1] != '-')
		return true;
	return arg[0] == '-' && arg[1] == '-' && arg[2] != '\0' && arg[2] != '-';
}

static int
parse_word(struct parse_state *s, char *arg, bool after_dashes)
{
	const struct d_cli_cmd *cur = s->p->path[s->p->depth - 1];

	if (!after_dashes && s->npos == 0 && has_subcmds(cur)) {
		const struct d_cli_cmd *sub = find_subcmd(cur, arg);
		char		       *msg;

		if (sub != NULL) {
			if (s->p->depth == CLI_MAX_DEPTH) {
				snprintf(s->err, sizeof(s->err), "commands nested too deeply");
				return -DER_INVAL;
			}
			s->p->path[s->p->depth++] = sub;
			return 0;
		}
		msg = command_error(cur, arg);
		s->nomem = msg == NULL;
		snprintf(s->err, sizeof(s->err), "%s", msg != NULL ? msg : "out of memory");
		D_FREE(msg);
		return -DER_INVAL;
	}
	if (cur->args_usage == NULL) {
		snprintf(s->err, sizeof(s->err), "unexpected argument `%s'", arg);
		return -DER_INVAL;
	}
	s->pos[s->npos++] = arg;
	return 0;
}

static void
parsed_free(struct d_cli_parsed *p)
{
	if (p == NULL)
		return;
	D_FREE(p->vals);
	D_FREE(p->list);
	D_FREE(p);
}

int
d_cli_main(const struct d_cli_cmd *root, int argc, char **argv, void *user)
{
	struct parse_state	s = {0};
	struct d_cli_ctx	ctx = {0};
	const struct d_cli_cmd *leaf;
	bool			dashes = false;
	int			rc = 0;
	int			i;

	s.prog = argc > 0 && argv[0] != NULL ? base_name(argv[0]) : root->name;
	D_ALLOC_PTR(s.p);
	D_ALLOC_ARRAY(s.pos, argc + 1);
	if (s.p == NULL || s.pos == NULL) {
		fprintf(stderr, "ERROR: %s: out of memory\n", s.prog);
		rc = 1;
		goto out;
	}
	s.p->path[0] = root;
	s.p->depth = 1;

	for (i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (dashes) {
			rc = parse_word(&s, arg, true);
		} else if (strcmp(arg, "--") == 0) {
			dashes = true;
			continue;
		} else if (!is_option(arg)) {
			rc = parse_word(&s, arg, false);
		} else if (arg[1] == '-') {
			rc = parse_long(&s, argc, argv, &i);
		} else {
			rc = parse_short(&s, argc, argv, &i);
		}
		if (rc != 0)
			break;
	}

	ctx.prog = s.prog;
	ctx.parsed = s.p;
	ctx.user = user;
	leaf = s.p->path[s.p->depth - 1];
	ctx.cmd = leaf;
	if (s.help) {
		d_cli_usage(&ctx, stdout);
		rc = 0;
		goto out;
	}
	if (rc == 0 && leaf->run == NULL) {
		char *msg = command_error(leaf, NULL);

		s.nomem = msg == NULL;
		snprintf(s.err, sizeof(s.err), "%s", msg != NULL ? msg : "out of memory");
		D_FREE(msg);
		rc = -DER_INVAL;
	}
	if (rc != 0) {
		fprintf(stderr, "ERROR: %s: %s\n", s.prog, s.err);
		if (!s.nomem)
			d_cli_usage(&ctx, stderr);
		rc = 1;
		goto out;
	}
	ctx.argc = s.npos;
	ctx.argv = s.pos;
	for (i = 0; i < s.p->depth; i++) {
		if (s.p->path[i]->pre_run == NULL)
			continue;
		rc = s.p->path[i]->pre_run(&ctx);
		if (rc != 0)
			goto out;
	}
	rc = leaf->run(&ctx);
out:
	parsed_free(s.p);
	D_FREE(s.pos);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Values                                                               */

/* The option named long_name among the commands of the parsed path. */
static const struct d_cli_opt *
path_opt(const struct d_cli_ctx *ctx, const char *long_name)
{
	const struct d_cli_parsed *p = ctx->parsed;

	if (p == NULL)
		return NULL;
	for (int i = p->depth - 1; i >= 0; i--)
		for (const struct d_cli_opt *o = p->path[i]->opts;
		     o != NULL && o->long_name != NULL; o++)
			if (strcmp(o->long_name, long_name) == 0)
				return o;
	return NULL;
}

bool
d_cli_has(const struct d_cli_ctx *ctx, const char *long_name)
{
	if (ctx == NULL || ctx->parsed == NULL)
		return false;
	for (int i = 0; i < ctx->parsed->nvals; i++)
		if (strcmp(ctx->parsed->vals[i].opt->long_name, long_name) == 0)
			return true;
	return false;
}

const char *
d_cli_get(const struct d_cli_ctx *ctx, const char *long_name)
{
	const struct d_cli_opt *o;

	if (ctx == NULL || ctx->parsed == NULL)
		return NULL;
	for (int i = ctx->parsed->nvals - 1; i >= 0; i--) {
		const struct cli_value *v = &ctx->parsed->vals[i];

		if (strcmp(v->opt->long_name, long_name) == 0)
			return v->opt->type == D_OPT_BOOL ? "true" : v->val;
	}
	o = path_opt(ctx, long_name);
	return o != NULL ? o->deflt : NULL;
}

int
d_cli_get_list(const struct d_cli_ctx *ctx, const char *long_name, const char *const **vals)
{
	struct d_cli_parsed *p = ctx != NULL ? ctx->parsed : NULL;
	const char	   **list;
	int		     n = 0;

	if (p == NULL) {
		*vals = NULL;
		return 0;
	}
	D_ALLOC_ARRAY(list, p->nvals + 1);
	if (list == NULL)
		return -DER_NOMEM;
	for (int i = 0; i < p->nvals; i++)
		if (strcmp(p->vals[i].opt->long_name, long_name) == 0 && p->vals[i].val != NULL)
			list[n++] = p->vals[i].val;
	D_FREE(p->list);
	p->list = list;
	*vals = list;
	return n;
}

int
d_cli_get_long(const struct d_cli_ctx *ctx, const char *long_name, long min, long max, long deflt,
	       long *out)
{
	const char *s = NULL;
	char	   *end;
	long	    v;

	for (int i = ctx->parsed != NULL ? ctx->parsed->nvals - 1 : -1; i >= 0; i--)
		if (strcmp(ctx->parsed->vals[i].opt->long_name, long_name) == 0) {
			s = ctx->parsed->vals[i].val;
			break;
		}
	if (s == NULL) {
		*out = deflt;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || isspace((unsigned char)s[0]) || errno != 0 || v < min ||
	    v > max) {
		fprintf(stderr,
			"ERROR: %s: invalid argument for flag `--%s': expected an integer between "
			"%ld and %ld, got \"%s\"\n",
			ctx->prog, long_name, min, max, s);
		return -DER_INVAL;
	}
	*out = v;
	return 0;
}
