/*
 * libFuzzer target for the configuration loaders (src/control/lib/config_*.c
 * on top of src/common/yaml_doc.c).  Built only with clang (see meson.build);
 * not part of `make test`.
 *
 * The first input byte selects the file kind (mod 3: 0 daos_server.yml,
 * 1 daos_agent.yml, 2 daos_control.yml); the rest is the file text (an
 * embedded NUL ends it, as for a C string).  A server config that loads is
 * also validated, and every config that loads is rendered back to YAML, so
 * the derived-field and printing code sees fuzzed values too.  Beyond "no
 * crash, no leak, no UB" it checks that a failed load always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/yaml_doc.h"
#include "control/lib/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_server(const char *text)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  diags;
	char			 *y;
	int			  rc;

	d_diags_init(&diags, "fuzz.yml");
	rc = ctl_server_config_load_string("fuzz.yml", text, &cfg, &diags);
	if (rc != 0) {
		if (rc != -DER_NOMEM && diags.n == 0 && !diags.nomem)
			abort(); /* a rejected file must come with a reason */
		goto out;
	}
	rc = ctl_server_config_validate(cfg, &diags);
	if (rc != 0 && d_diags_count(&diags, D_DIAG_ERROR) == 0 && !diags.nomem)
		abort();
	y = ctl_server_config_to_yaml(cfg);
	free(y);
	ctl_server_config_destroy(cfg);
out:
	d_diags_fini(&diags);
}

static void
fuzz_agent(const char *text)
{
	struct ctl_agent_config *cfg = NULL;
	struct d_diags		 diags;
	int			 rc;

	d_diags_init(&diags, "fuzz_agent.yml");
	rc = ctl_agent_config_load_string("fuzz_agent.yml", text, &cfg, &diags);
	if (rc == 0) {
		free(ctl_agent_config_to_yaml(cfg));
		ctl_agent_config_destroy(cfg);
	} else if (rc != -DER_NOMEM && diags.n == 0 && !diags.nomem) {
		abort();
	}
	d_diags_fini(&diags);
}

static void
fuzz_control(const char *text)
{
	struct ctl_control_config *cfg = NULL;
	struct d_diags		   diags;
	int			   rc;

	d_diags_init(&diags, "fuzz_control.yml");
	rc = ctl_control_config_load_string("fuzz_control.yml", text, &cfg, &diags);
	if (rc == 0) {
		free(ctl_control_config_to_yaml(cfg));
		ctl_control_config_destroy(cfg);
	} else if (rc != -DER_NOMEM && diags.n == 0 && !diags.nomem) {
		abort();
	}
	d_diags_fini(&diags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		fuzz_server(text);
		break;
	case 1:
		fuzz_agent(text);
		break;
	default:
		fuzz_control(text);
		break;
	}
	free(text);
	return 0;
}
