/*
 * Validation table for the configuration loaders: each case is an inline
 * YAML file, the expected outcome (valid, error or notice), a substring of
 * the message and the line it must be reported on.  Server cases go through
 * load + validate, agent and control cases through their loaders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "control/lib/config/config.h"

enum kind { SRV = 0, AGT, CTL };
enum want { OK = 0, ERR, NOTE };

struct vcase {
	const char *name;
	enum kind   kind;
	const char *yaml;
	enum want   want;
	const char *msg;  /* substring of the diagnostic (OK: NULL) */
	int	    line; /* expected line, 0: not checked */
	const char *key;  /* expected key path, NULL: not checked */
};

/* A valid single-engine file; line numbers in the comments. */
#define H    "mgmt_svc_replicas: [host1]\nprovider: ofi+tcp\nengines:\n" /* 1-3 */
#define E0_T "  targets: 8\n"
#define E0_R                                                                                       \
	"  nr_xs_helpers: 2\n  fabric_iface: eth0\n  fabric_iface_port: 31416\n"                   \
	"  log_file: /tmp/e0.log\n  storage:\n"
#define E0    "- targets: 8\n" E0_R					       /* 4-9 */
#define RAM0  "  - class: ram\n    scm_mount: /mnt/daos0\n"		       /* 10-11 */
#define FILE0 "  - class: file\n    bdev_list: [/tmp/b0]\n    bdev_size: 16\n" /* 12-14 */
#define V1    H E0 RAM0 FILE0
#define E1_R                                                                                       \
	"  nr_xs_helpers: 2\n  fabric_iface: eth0\n  fabric_iface_port: 32416\n"                   \
	"  log_file: /tmp/e1.log\n  storage:\n"
#define E1	   "- targets: 8\n" E1_R					    /* 15-20 */
#define RAM1	   "  - class: ram\n    scm_mount: /mnt/daos1\n"		    /* 21-22 */
#define FILE1	   "  - class: file\n    bdev_list: [/tmp/b1]\n    bdev_size: 16\n" /* 23-25 */
#define V2	   V1 E1 RAM1 FILE1
#define NVME(a)	   "  - class: nvme\n    bdev_list: [\"" a "\"]\n"
#define DCPM(d, m) "  - class: dcpm\n    scm_list: [" d "]\n    scm_mount: " m "\n"
#define MDHDR                                                                                      \
	"mgmt_svc_replicas: [host1]\nprovider: ofi+tcp\ncontrol_metadata:\n  path: /var/daos\nengines:\n" /* 1-5 */
#define MDE	   "- targets: 4\n" E0_R			 /* 6-11 */
#define MDRAM	   "  - class: ram\n    scm_mount: /mnt/daos0\n" /* 12-13 */
#define ROLE(a, r) "  - class: nvme\n    bdev_list: [\"" a "\"]\n    bdev_roles: [" r "]\n"

/* The cases are laid out by hand, one per line or block: */
/* clang-format off */
static const struct vcase cases[] = {
    /* ---- valid files and notices ---- */
    {"empty file is discovery mode", SRV, "", NOTE, "starting in discovery mode", 0},
    {"comments only", SRV, "# nothing\n#port: 1\n", NOTE, "discovery mode", 0},
    {"discovery ignores missing provider", SRV, "port: 10001\n", NOTE, "discovery mode", 0},
    {"single engine valid", SRV, V1, NOTE, "only one MS replica", 1, "mgmt_svc_replicas"},
    {"two engines valid", SRV, V2, OK, NULL, 0},
    {"three replicas, no single-replica notice", SRV,
     "mgmt_svc_replicas: [a, b, c]\nprovider: ofi+tcp\nengines:\n" E0 RAM0 FILE0, OK, NULL, 0},
    {"access_points accepted with notice", SRV,
     "access_points: [wolf-71]\nprovider: ofi+tcp\nengines:\n" E0 RAM0 FILE0, NOTE,
     "access_points is deprecated; please use mgmt_svc_replicas instead", 1, "access_points"},
    {"enable_hotplug alone is a notice", SRV, "enable_hotplug: false\n", NOTE,
     "enable_hotplug is deprecated", 1},
    {"pinned with first_core 0 valid", SRV,
     H "- pinned_numa_node: 0\n  first_core: 0\n" E0_T E0_R RAM0 FILE0, OK, NULL, 0},
    {"dcpm and nvme valid", SRV, H E0 DCPM("/dev/pmem0", "/mnt/daos0") NVME("0000:87:00.0"), OK,
     NULL, 0},
    {"kdev tier valid", SRV, H E0 RAM0 "  - class: kdev\n    bdev_list: [/dev/sdc]\n", OK, NULL,
     0},
    {"md-on-ssd three tiers valid", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal") ROLE("0000:82:00.0", "meta")
	 ROLE("0000:83:00.0", "data"),
     OK, NULL, 0},
    {"md-on-ssd two tiers valid", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal") ROLE("0000:82:00.0", "meta, data"), OK, NULL,
     0},
    {"md-on-ssd one tier all roles", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal, meta, data"), OK, NULL, 0},
    {"VMD address accepted", SRV, H E0 RAM0 NVME("5d0505:01:00.0"), OK, NULL, 0},
    {"yes/no booleans accepted", SRV, "disable_vfio: yes\nhyperthreads: off\n", NOTE,
     "discovery", 0},
    {"hex core_dump_filter", SRV, "core_dump_filter: 0x33\n", NOTE, "discovery", 0},
    {"no log_file is a notice", SRV,
     H "- targets: 8\n  fabric_iface: eth0\n  fabric_iface_port: 1\n  storage:\n" RAM0, NOTE,
     "no daos log file specified for server 0", 4, "engines[0]"},
    {"too many helpers is a notice", SRV, H "- nr_xs_helpers: 40\n" E0_T
     "  fabric_iface: eth0\n  fabric_iface_port: 31416\n  log_file: /tmp/e0.log\n  storage:\n"
	 RAM0,
     NOTE, "more than twice the targets", 4},
    {"differing bdev counts is a notice", SRV,
     V1 E1 RAM1 "  - class: file\n    bdev_list: [/tmp/b1, /tmp/b2]\n    bdev_size: 16\n", NOTE,
     "number of bdev_list entries in all tiers is not equal across engines", 20},

    /* ---- strict parsing ---- */
    {"unknown top-level key", SRV, "port: 10001\nfoo: 1\n", ERR, "unknown key \"foo\"", 2,
     "foo"},
    {"unknown key carries upstream hint", SRV, "bar: 1\n", ERR,
     "config contains invalid parameters and may be out of date", 1},
    {"typo suggests the key", SRV, "provder: ofi+tcp\n", ERR, "did you mean \"provider\"", 1},
    {"unknown engine key", SRV, H "- targetz: 8\n" E0_R RAM0 FILE0, ERR, "unknown key \"targetz\"",
     4, "engines[0].targetz"},
    {"unknown tier key", SRV, H E0 RAM0 "  - class: file\n    bdev_lst: [/a]\n", ERR,
     "unknown key \"bdev_lst\"", 13, "engines[0].storage[1].bdev_lst"},
    {"duplicate key", SRV, "port: 1\nport: 2\n", ERR, "already set at line 1", 2},
    {"string where integer expected", SRV, "port: abc\n", ERR, "expected an integer", 1, "port"},
    {"quoted integer is a string", SRV, "port: \"10001\"\n", ERR,
     "expected an integer, got a quoted string", 1},
    {"list where integer expected", SRV, "port: [1]\n", ERR, "expected an integer, got a list", 1},
    {"list where string expected", SRV, "name: [a]\n", ERR, "expected a string, got a list", 1},
    {"scalar where list expected", SRV, "mgmt_svc_replicas: host1\n", ERR, "expected a list", 1},
    {"mapping where list expected", SRV, "bdev_exclude:\n  a: b\n", ERR,
     "expected a list, got a mapping", 2},
    {"engines not a list", SRV, "engines: foo\n", ERR, "expected a list of engine sections", 1},
    {"engine item not a mapping", SRV, "engines:\n- foo\n", ERR, "expected a mapping of engine keys",
     2},
    {"empty engine item", SRV, "engines:\n-\n", ERR, "empty engine entry", 2},
    {"bad boolean", SRV, "disable_vfio: maybe\n", ERR, "expected true or false", 1},
    {"core_dump_filter out of range", SRV, "core_dump_filter: 300\n", ERR, "out of range", 1},
    {"float targets", SRV, H "- targets: 1.5\n" E0_R RAM0 FILE0, ERR, "expected an integer", 4},
    {"negative pinned_numa_node", SRV, H "- pinned_numa_node: -1\n" E0_T E0_R RAM0 FILE0, ERR,
     "out of range", 4},
    {"unsupported storage class", SRV, H E0 "  - class: ssd\n    scm_mount: /m\n", ERR,
     "unsupported storage class \"ssd\"", 10, "engines[0].storage[0].class"},
    {"unknown bdev role", SRV, H E0 RAM0 ROLE("0000:81:00.0", "fast"), ERR,
     "unknown option flag given: \"fast\"", 14},
    {"invalid PCI address", SRV, H E0 RAM0 NVME("0000:8g:00.0"), ERR,
     "bdev_list: invalid PCI address \"0000:8g:00.0\"", 13},
    {"duplicate PCI address", SRV,
     H E0 RAM0 "  - class: nvme\n    bdev_list: [\"0000:81:00.0\", \"0000:81:00.0\"]\n", ERR,
     "bdev_list: duplicate PCI address 0000:81:00.0", 13},
    {"mixed PCI and paths", SRV,
     H E0 RAM0 "  - class: nvme\n    bdev_list: [\"0000:81:00.0\", /dev/sdc]\n", ERR,
     "cannot mix PCI and non-PCI block device addresses", 13},
    {"bad busid range", SRV, H E0 RAM0 NVME("0000:81:00.0") "    bdev_busid_range: 0x90-0x80\n",
     ERR, "invalid busid range \"0x90-0x80\"", 14},
    {"bad control_log_mask", SRV, "control_log_mask: LOUD\n", ERR, "unknown control log level", 1},
    {"unknown acceleration engine", SRV, H E0 RAM0 FILE0 "  acceleration:\n    engine: foo\n",
     ERR, "unknown acceleration engine setting \"foo\"", 16},
    {"unknown acceleration option", SRV,
     H E0 RAM0 FILE0 "  acceleration:\n    engine: spdk\n    options: [zip]\n", ERR,
     "unknown option flag given: \"zip\"", 17},
    {"YAML syntax error", SRV, "port: 10001\nengines:\n  - targets: 1\n bad\n", ERR,
     "YAML syntax error", 4},
    {"alias rejected", SRV, "name: &a daos\nsocket_dir: *a\n", ERR, "aliases", 2},
    {"two documents rejected", SRV, "port: 1\n---\nport: 2\n", ERR, "more than one YAML document",
     2},
    {"transport bad bool", SRV, "transport_config:\n  allow_insecure: 5\n", ERR,
     "expected true or false", 2, "transport_config.allow_insecure"},
    {"transport unknown key", SRV, "transport_config:\n  certs: /x\n", ERR,
     "unknown key \"certs\" in transport_config section", 2},
    {"bad int in secondary endpoints", SRV, "secondary_provider_endpoints: [a]\n", ERR,
     "expected an integer", 1},

    /* ---- load-time rules ---- */
    {"system name too long", SRV, "name: abcdefghijklmnop\n", ERR,
     "invalid system name: \"abcdefghijklmnop\"", 1, "name"},
    {"empty system name", SRV, "name: \"\"\n", ERR, "invalid system name", 1},
    {"two providers", SRV, "provider: ofi+tcp,ofi+verbs\n", ERR,
     "fabric provider string \"ofi+tcp,ofi+verbs\" includes more than one provider", 1},
    {"access_points and mgmt_svc_replicas", SRV,
     "mgmt_svc_replicas: [a]\naccess_points: [b]\n", ERR,
     "access_points is deprecated; please use mgmt_svc_replicas instead", 2},

    /* ---- server Validate() ---- */
    {"enable and disable hotplug", SRV, "disable_hotplug: true\nenable_hotplug: true\n", ERR,
     "'enable_hotplug' setting is deprecated and no longer supported", 2},
    {"duplicate replicas after port fill", SRV, "mgmt_svc_replicas: [a, \"a:10001\", b]\n", ERR,
     "invalid list of MS replicas in configuration", 1},
    {"replica port not a number", SRV, "mgmt_svc_replicas: [\"a:xyz\"]\n", ERR,
     "invalid control port in configuration", 1, "mgmt_svc_replicas[0]"},
    {"replica port zero", SRV, "mgmt_svc_replicas: [\"a:0\"]\n", ERR,
     "MS replica port cannot be zero", 1},
    {"replica port negative", SRV, "mgmt_svc_replicas: [\"a:-5\"]\n", ERR,
     "MS replica port cannot be negative", 1},
    {"replica bad address", SRV, "mgmt_svc_replicas: [\"a:b:c\"]\n", ERR,
     "invalid list of MS replicas", 1},
    {"metadata device without path", SRV, "control_metadata:\n  device: /dev/sdb1\n", ERR,
     "using a control_metadata device requires a path", 2},
    {"system_ram_reserved zero", SRV, "system_ram_reserved: 0\n", ERR,
     "`system_ram_reserved` is set to zero in server config", 1},
    {"negative restart delay", SRV, "engine_auto_restart_min_delay: -1\n", ERR,
     "engine_auto_restart_min_delay must be >= 0", 1},
    {"fault_path and fault_cb", SRV, "fault_path: /r1/h1\nfault_cb: /etc/daos/fd.sh\n", ERR,
     "both fault domain and fault path are defined", 2},
    {"fault_path without root", SRV, "fault_path: rack1\n", ERR,
     "fault path must start with root (/)", 1},
    {"fault_path too deep", SRV, "fault_path: /a/b/c\n", ERR,
     "the fault domain path may have a maximum of 2 levels below the root", 1},
    {"fault_path only root", SRV, "fault_path: /\n", ERR, "at least one domain level is required",
     1},
    {"fault_path empty level", SRV, "fault_path: /a//b\n", ERR,
     "empty string is an invalid fault domain", 1},
    {"fault_cb outside config dir", SRV, "fault_cb: /tmp/fd.sh\n", ERR,
     "fault domain callback script does not meet security requirements", 1},
    {"client_env_vars not K=V", SRV, "client_env_vars: [FOO]\n", ERR,
     "\"FOO\" is not of the form NAME=VALUE", 1, "client_env_vars[0]"},
    {"even replica count", SRV,
     "mgmt_svc_replicas: [a, b]\nprovider: ofi+tcp\nengines:\n" E0 RAM0 FILE0, ERR,
     "non-odd number of MS replicas in configuration", 1},
    {"no provider with engines", SRV, "mgmt_svc_replicas: [host1]\nengines:\n" E0 RAM0 FILE0, ERR,
     "provider not specified in server configuration", 0},
    {"zero port with engines", SRV, "port: 0\n" V1, ERR, "invalid control port in configuration",
     1, "port"},
    {"discovery mode, negative port", SRV, "port: -1\n", ERR,
     "port -1 is out of range; set a TCP port between 1 and 65535", 1, "port"},
    {"discovery mode, port above 65535", SRV, "port: 65536\n", ERR,
     "port 65536 is out of range", 1, "port"},
    {"negative telemetry port", SRV, "telemetry_port: -1\n" V1, ERR,
     "invalid telemetry port in configuration", 1},
    {"nr_hugepages negative", SRV, "nr_hugepages: -1\n" V1, ERR,
     "number of hugepages specified (-1) is out of range (0 - 2147483647)", 1},
    {"nr_hugepages too large", SRV, "nr_hugepages: 3000000000\n" V1, ERR, "is out of range", 1},
    {"disable_hugepages with nr_hugepages", SRV, "disable_hugepages: true\nnr_hugepages: 512\n" V1,
     ERR, "hugepages cannot be disabled if non-zero number has been specified", 1},
    {"disable_hugepages with nvme", SRV, "disable_hugepages: true\n" H E0 RAM0 NVME("0000:81:00.0"),
     ERR, "hugepages cannot be disabled if nvme-bdevs have been specified", 1},
    {"bdev_exclude clash", SRV, "bdev_exclude: [\"0000:81:00.0\"]\n" H E0 RAM0 NVME("0000:81:00.0"),
     ERR, "'bdev_exclude' list includes address used in engine config bdev_list", 1},

    /* ---- one engine ---- */
    {"zero targets", SRV, H "- targets: 0\n" E0_R RAM0 FILE0, ERR, "target count must be nonzero",
     4, "engines[0].targets"},
    {"missing targets", SRV, H "- nr_xs_helpers: 2\n  fabric_iface: eth0\n  fabric_iface_port: 1\n"
			       "  log_file: /a\n  storage:\n" RAM0,
     ERR, "target count must be nonzero", 4},
    {"negative targets", SRV, H "- targets: -1\n" E0_R RAM0 FILE0, ERR,
     "target count must not be negative", 4},
    {"negative helpers", SRV, H "- nr_xs_helpers: -1\n" E0_T
     "  fabric_iface: eth0\n  fabric_iface_port: 31416\n  log_file: /a\n  storage:\n" RAM0,
     ERR, "helper stream count must not be negative", 4},
    {"pinned and first_core", SRV, H "- pinned_numa_node: 0\n  first_core: 2\n" E0_T E0_R RAM0,
     ERR, "cannot specify both pinned_numa_node and first_core", 5, "engines[0].first_core"},
    {"missing fabric_iface", SRV,
     H "- targets: 8\n  fabric_iface_port: 31416\n  log_file: /a\n  storage:\n" RAM0, ERR,
     "fabric_iface not set", 4},
    {"missing fabric_iface_port", SRV,
     H "- targets: 8\n  fabric_iface: eth0\n  log_file: /a\n  storage:\n" RAM0, ERR,
     "fabric_iface_port not set", 4},
    {"global fabric_iface inherited", SRV,
     "fabric_iface: eth0\nfabric_iface_port: 31416\n" H
     "- targets: 8\n  log_file: /a\n  storage:\n" RAM0,
     NOTE, "only one MS replica", 0},
    {"negative fabric_iface_port", SRV,
     H "- fabric_iface_port: -1\n  targets: 8\n  fabric_iface: eth0\n  log_file: /a\n"
       "  storage:\n" RAM0,
     ERR, "fabric_iface_port cannot be negative", 4},
    {"iface count mismatch", SRV,
     H "- fabric_iface: eth0,eth1\n  targets: 8\n  fabric_iface_port: 1\n  log_file: /a\n"
       "  storage:\n" RAM0,
     ERR, "provider, fabric_iface and fabric_iface_port must include the same number of items", 4},
    {"bad log_mask level", SRV, H "- log_mask: LOUD\n" E0_T E0_R RAM0 FILE0, ERR,
     "validate engine log masks", 4, "engines[0].log_mask"},
    {"bad log_mask subsystem", SRV, H "- log_mask: ERR,FOO=DEBUG\n" E0_T E0_R RAM0 FILE0, ERR,
     "unknown subsystem \"FOO\"", 4},
    {"log_mask all assignment", SRV, H "- log_mask: ERR,all=DEBUG\n" E0_T E0_R RAM0 FILE0, ERR,
     "'all' identifier can not be used in log mask level assignments", 4},
    {"guide log_mask ERR valid", SRV, H "- log_mask: ERR,mgmt=DEBUG\n" E0_T E0_R RAM0 FILE0, NOTE,
     "only one MS replica", 0},
    {"env_vars not K=V", SRV, H "- env_vars: [FOO]\n" E0_T E0_R RAM0 FILE0, ERR,
     "\"FOO\" is not of the form NAME=VALUE", 4, "engines[0].env_vars[0]"},
    {"DD_MASK unknown stream", SRV, H "- env_vars: [DD_MASK=bogus]\n" E0_T E0_R RAM0 FILE0, ERR,
     "logging debug streams: unknown name \"bogus\"", 4},
    {"DD_SUBSYS all with other", SRV, H "- env_vars: [\"DD_SUBSYS=all,mgmt\"]\n" E0_T E0_R RAM0
					  FILE0,
     ERR, "'all' identifier can not be used with any other log identifier", 4},
    {"ABT stack too small for dcpm", SRV,
     H "- env_vars: [ABT_THREAD_STACKSIZE=16384]\n" E0_T E0_R DCPM("/dev/pmem0", "/mnt/daos0"),
     ERR, "env_var ABT_THREAD_STACKSIZE should be >= 20480 for DCPM storage class, found 16384",
     4},
    {"ABT stack not a number", SRV, H "- env_vars: [ABT_THREAD_STACKSIZE=big]\n" E0_T E0_R RAM0,
     ERR, "env_var ABT_THREAD_STACKSIZE has invalid value: big", 4},
    {"ABT stack too small for md-on-ssd", SRV,
     MDHDR "- env_vars: [ABT_THREAD_STACKSIZE=20000]\n  targets: 4\n" E0_R MDRAM
	 ROLE("0000:81:00.0", "wal, meta, data"),
     ERR, "should be >= 24576 for MD on SSD", 6},
    {"PMEMOBJ_CONF with dcpm", SRV,
     H "- env_vars: [\"PMEMOBJ_CONF=sds.at_create=0\"]\n" E0_T E0_R DCPM("/dev/pmem0", "/m"), ERR,
     "env_var PMEMOBJ_CONF should NOT contain 'sds.at_create=?' for DCPM", 4},

    /* ---- storage tiers ---- */
    {"no storage", SRV, H "- targets: 8\n  fabric_iface: eth0\n  fabric_iface_port: 1\n"
			  "  log_file: /a\n",
     ERR, "no storage tiers configured", 4, "engines[0].storage"},
    {"no scm tier", SRV, H E0 FILE0, ERR, "missing scm storage tier in engine storage config", 9},
    {"scm not first", SRV, H E0 FILE0 RAM0, ERR, "first storage tier is not scm", 9},
    {"two scm tiers", SRV, H E0 RAM0 "  - class: ram\n    scm_mount: /mnt/x\n", ERR,
     "first storage tier is not scm", 9},
    {"tier without class", SRV, H E0 RAM0 "  - bdev_list: [/a]\n", ERR, "no storage class set", 12,
     "engines[0].storage[1].class"},
    {"missing scm_mount", SRV, H E0 "  - class: ram\n" FILE0, ERR, "no scm_mount set", 10},
    {"dcpm with scm_size", SRV, H E0 DCPM("/dev/pmem0", "/m") "    scm_size: 8\n", ERR,
     "scm_size may not be set when class is dcpm", 13},
    {"dcpm without scm_list", SRV, H E0 "  - class: dcpm\n    scm_mount: /m\n", ERR,
     "scm_list must be set when class is dcpm", 10},
    {"ram with scm_list", SRV, H E0 RAM0 "    scm_list: [/dev/pmem0]\n", ERR,
     "scm_list may not be set when class is ram", 12},
    {"ram-disk below minimum", SRV, H E0 RAM0 "    scm_size: 2\n" FILE0, ERR,
     "configured ram-disk size 2.0 GiB is lower than the minimum (4.0 GiB) required for SCM; set "
     "scm_size to at least 4 or remove it to size automatically",
     12, "engines[0].storage[0].scm_size"},
    {"dcpm two devices", SRV, H E0 DCPM("/dev/pmem0, /dev/pmem1", "/m"), ERR,
     "scm_list may have at most 1 devices", 11},
    {"file without bdev_list", SRV, H E0 RAM0 "  - class: file\n    bdev_size: 4\n", ERR,
     "class file requires non-empty bdev_list", 12},
    {"file without bdev_size", SRV, H E0 RAM0 "  - class: file\n    bdev_list: [/a]\n", ERR,
     "class file requires non-zero bdev_size", 12},
    {"kdev without bdev_list", SRV, H E0 RAM0 "  - class: kdev\n", ERR,
     "class kdev requires non-empty bdev_list", 12},
    {"nvme with paths", SRV, H E0 RAM0 "  - class: nvme\n    bdev_list: [/dev/nvme0n1]\n", ERR,
     "class nvme requires valid PCI addresses in bdev_list", 13},
    {"negative bdev_size", SRV, H E0 RAM0 "  - class: file\n    bdev_list: [/a]\n    bdev_size: -1\n",
     ERR, "negative bdev_size", 14},
    {"nvme mixed with file", SRV, H E0 RAM0 NVME("0000:81:00.0") FILE0, ERR,
     "bdev tiers found with both emulated and non-emulated NVMe types", 9},
    {"two bdev tiers without roles", SRV, H E0 RAM0 NVME("0000:81:00.0") NVME("0000:82:00.0"), ERR,
     "multiple bdev tiers but MD-on-SSD roles have not been specified", 9},
    {"roles on some tiers", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal") NVME("0000:82:00.0"), ERR,
     "MD-on-SSD roles have been specified on some but not all bdev tiers", 17},
    {"wal and data without meta", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal, data") ROLE("0000:82:00.0", "meta"), ERR,
     "WAL and Data MD-on-SSD roles have been specified on a bdev tier without Meta role", 16},
    {"roles with dcpm", SRV,
     MDHDR MDE DCPM("/dev/pmem0", "/m") ROLE("0000:81:00.0", "wal, meta, data"), ERR,
     "MD-on-SSD roles has been specified in config with scm class set to dcpm", 12},
    {"two WAL tiers", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal") ROLE("0000:82:00.0", "wal, meta")
	 ROLE("0000:83:00.0", "data"),
     ERR, "found 2 WAL tiers, wanted 1", 11},
    {"four bdev tiers with roles", SRV,
     MDHDR MDE MDRAM ROLE("0000:81:00.0", "wal") ROLE("0000:82:00.0", "meta")
	 ROLE("0000:83:00.0", "data") ROLE("0000:84:00.0", "data"),
     ERR, "only 1, 2 or 3 bdev tiers are supported", 11},
    {"roles without control_metadata", SRV, H E0 RAM0 ROLE("0000:81:00.0", "wal, meta, data"), ERR,
     "'control_metadata.path' is required when MD-on-SSD roles are specified", 9},
    {"control_metadata without roles", SRV, MDHDR MDE MDRAM NVME("0000:81:00.0"), ERR,
     "using 'control_metadata.path' requires MD-on-SSD roles", 4, "control_metadata.path"},

    /* ---- several engines ---- */
    {"duplicate fabric", SRV, V1 "- targets: 8\n" E0_R RAM1 FILE1, ERR,
     "the fabric configuration in I/O Engine 1 is a duplicate of I/O Engine 0", 18},
    {"duplicate log_file", SRV,
     V1 "- targets: 8\n  nr_xs_helpers: 2\n  fabric_iface: eth0\n  fabric_iface_port: 32416\n"
	"  log_file: /tmp/e0.log\n  storage:\n" RAM1 FILE1,
     ERR, "the log_file value in I/O Engine 1 is a duplicate of I/O Engine 0", 19},
    {"duplicate scm_mount", SRV, V1 E1 RAM0 FILE1, ERR,
     "the scm_mount value in I/O Engine 1 is a duplicate of I/O Engine 0", 22},
    {"duplicate scm_list", SRV,
     H E0 DCPM("/dev/pmem0", "/m0") NVME("0000:81:00.0") E1 DCPM("/dev/pmem0", "/m1")
	 NVME("0000:82:00.0"),
     ERR, "the scm_list value in I/O Engine 1 is a duplicate of I/O Engine 0", 0,
     "engines[1].storage[0].scm_list"},
    {"overlapping bdev_list", SRV, V1 E1 RAM1 FILE0, ERR,
     "the bdev_list value in engine 1 overlaps with entries in engine 0", 20},
    {"different scm class", SRV,
     H E0 RAM0 NVME("0000:81:00.0") E1 DCPM("/dev/pmem1", "/m1") NVME("0000:82:00.0"), ERR,
     "the SCM class in engine 1 is different from engine 0", 0, "engines[1].storage[0].class"},
    {"different scm_hugepages_disabled", SRV,
     H E0 RAM0 "    scm_hugepages_disabled: true\n" FILE0 E1 RAM1 FILE1, ERR,
     "the scm_hugepages_disabled in engine 1 is different from engine 0", 0},
    {"different targets", SRV, V1 "- targets: 16\n" E1_R RAM1 FILE1, ERR,
     "the target count is not equal across engines, engine 1 has 16 but engine 0 has 8", 15},
    {"different helpers", SRV,
     V1 "- targets: 8\n  nr_xs_helpers: 4\n  fabric_iface: eth0\n  fabric_iface_port: 32416\n"
	"  log_file: /tmp/e1.log\n  storage:\n" RAM1 FILE1,
     ERR, "the helper stream count is not equal across engines, engine 1 has 4 but engine 0 has 2",
     16},
    {"all problems reported together", SRV, "port: x\nfoo: 1\ndisable_vfio: 3\n", ERR,
     "unexpected", 0},

    /* ---- daos_agent.yml ---- */
    {"agent empty file valid", AGT, "", OK, NULL, 0},
    {"agent full valid", AGT,
     "name: daos_server\naccess_points: [a, b]\nport: 10001\nruntime_dir: /tmp\n"
     "telemetry_port: 9192\ntelemetry_enabled: true\ntelemetry_retain: 1m\n"
     "telemetry_enabled_procs: ^dfuse$\ncredential_config:\n  cache_expiration: 90s\n"
     "  client_user_map:\n    default:\n      user: nobody\n      group: nobody\n"
     "    1000:\n      user: ralph\n      groups: [a, b]\n"
     "fabric_ifaces:\n- numa_node: 0\n  devices:\n  - iface: ib0\n    domain: mlx5_0\n",
     OK, NULL, 0},
    {"agent unknown key", AGT, "runtime: /tmp\n", ERR, "did you mean \"runtime_dir\"", 1},
    {"agent include and exclude", AGT,
     "include_fabric_ifaces: [eth0]\nexclude_fabric_ifaces: [lo]\n", ERR,
     "cannot specify both exclude_fabric_ifaces and include_fabric_ifaces", 1},
    {"agent retain without enabled", AGT, "telemetry_retain: 1m\n", ERR,
     "telemetry_retain requires telemetry_enabled: true", 1},
    {"agent enabled without port", AGT, "telemetry_enabled: true\n", ERR,
     "telemetry_enabled requires telemetry_port", 1},
    {"agent procs without enabled", AGT, "telemetry_enabled_procs: ^x$\n", ERR,
     "cannot specify telemetry_enabled_procs without telemetry_enabled", 1},
    {"agent both procs", AGT,
     "telemetry_port: 9192\ntelemetry_enabled: true\ntelemetry_enabled_procs: a\n"
     "telemetry_disabled_procs: b\n",
     ERR, "cannot specify both telemetry_enabled_procs and telemetry_disabled_procs", 4},
    {"agent bad regex", AGT, "telemetry_enabled_procs: \"a(\"\n", ERR, "invalid regular expression",
     1},
    {"agent bad duration", AGT, "telemetry_retain: soon\n", ERR, "time: invalid duration \"soon\"",
     1},
    {"agent bad uid", AGT, "credential_config:\n  client_user_map:\n    bob:\n      user: x\n", ERR,
     "invalid uid bob", 3},
    {"agent reserved uid", AGT,
     "credential_config:\n  client_user_map:\n    4294967295:\n      user: x\n", ERR,
     "uid 4294967295 is reserved", 3},
    {"agent name too long", AGT, "name: abcdefghijklmnop\n", ERR, "invalid system name", 1},
    {"agent negative cache_expiration", AGT, "cache_expiration: -1\n", ERR, "out of range", 1},
    {"agent bad log mask", AGT, "control_log_mask: chatty\n", ERR, "unknown control log level", 1},
    {"agent negative telemetry port", AGT, "telemetry_port: -1\n", ERR, "invalid telemetry port",
     1},

    /* ---- daos_control.yml ---- */
    {"control valid", CTL, "hostlist: ['wolf-[71-72]']\nport: 10001\n", OK, NULL, 0},
    {"control empty file", CTL, "", ERR, "empty config file: ", 0},
    {"control unknown key", CTL, "hostlist: [a]\nhosts: [b]\n", ERR, "unknown key \"hosts\"", 2},
    {"control hostlist scalar", CTL, "hostlist: a\n", ERR, "expected a list", 1},
    {"control bad name", CTL, "name: \"\"\n", ERR, "invalid system name: \"\"", 1},
    {"control zero port", CTL, "port: 0\n", ERR, "invalid control port 0", 1},
    {"control bad transport bool", CTL, "transport_config:\n  allow_insecure: sure\n", ERR,
     "expected true or false", 2},
};
/* clang-format on */

static int
run_case(const struct vcase *c, struct d_diags *dg)
{
	int rc;

	if (c->kind == SRV) {
		struct ctl_server_config *cfg = NULL;

		rc = ctl_server_config_load_string("test.yml", c->yaml, &cfg, dg);
		if (rc == 0)
			rc = ctl_server_config_validate(cfg, dg);
		ctl_server_config_destroy(cfg);
	} else if (c->kind == AGT) {
		struct ctl_agent_config *cfg = NULL;

		rc = ctl_agent_config_load_string("test.yml", c->yaml, &cfg, dg);
		ctl_agent_config_destroy(cfg);
	} else {
		struct ctl_control_config *cfg = NULL;

		rc = ctl_control_config_load_string("test.yml", c->yaml, &cfg, dg);
		ctl_control_config_destroy(cfg);
	}
	return rc;
}

static bool
check_case(const struct vcase *c)
{
	struct d_diags dg;
	size_t	       i;
	bool	       ok = false;
	int	       rc;

	d_diags_init(&dg, "test.yml");
	rc = run_case(c, &dg);
	if (c->want == OK || c->want == NOTE) {
		ok = rc == 0 && d_diags_count(&dg, D_DIAG_ERROR) == 0;
		if (ok && c->want == NOTE) {
			ok = false;
			for (i = 0; i < dg.n; i++)
				if (dg.v[i].sev == D_DIAG_NOTICE && strstr(dg.v[i].msg, c->msg) &&
				    (c->line == 0 || dg.v[i].line == c->line) &&
				    (c->key == NULL ||
				     (dg.v[i].key && !strcmp(dg.v[i].key, c->key))))
					ok = true;
		}
	} else if (strcmp(c->msg, "unexpected") == 0) {
		/* every independent problem of the file is reported */
		ok = rc == -DER_INVAL && d_diags_count(&dg, D_DIAG_ERROR) == 3;
	} else {
		for (i = 0; rc != 0 && i < dg.n; i++)
			if (dg.v[i].sev == D_DIAG_ERROR && strstr(dg.v[i].msg, c->msg) &&
			    (c->line == 0 || dg.v[i].line == c->line) &&
			    (c->key == NULL || (dg.v[i].key && !strcmp(dg.v[i].key, c->key))))
				ok = true;
	}
	if (!ok) {
		fprintf(stderr, "FAILED case \"%s\" (rc %d), diagnostics:\n", c->name, rc);
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
		d_diags_print(&dg, D_DIAG_NOTICE, stderr);
	}
	d_diags_fini(&dg);
	return ok;
}

static void
test_validation_table(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < D_ARRAY_SIZE(cases); i++)
		if (!check_case(&cases[i]))
			failed++;
	fprintf(stderr, "%zu validation cases, %zu failed\n", D_ARRAY_SIZE(cases), failed);
	assert_true(D_ARRAY_SIZE(cases) >= 80);
	assert_int_equal(failed, 0);
}

/* A message is printed as "file:line: key: message". */
static void
test_diag_format(void **state)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	char			 *s;

	(void)state;
	d_diags_init(&dg, "daos_server.yml");
	assert_int_equal(ctl_server_config_load_string(
				 "daos_server.yml", H E0 RAM0 "    scm_size: 2\n" FILE0, &cfg, &dg),
			 0);
	assert_int_equal(ctl_server_config_validate(cfg, &dg), -DER_INVAL);
	assert_int_equal(d_diags_count(&dg, D_DIAG_ERROR), 1);
	for (size_t i = 0; i < dg.n; i++) {
		if (dg.v[i].sev != D_DIAG_ERROR)
			continue;
		s = d_diag_format(&dg, &dg.v[i]);
		assert_non_null(s);
		assert_non_null(strstr(s, "daos_server.yml:12: engines[0].storage[0].scm_size: "
					  "configured ram-disk size 2.0 GiB"));
		D_FREE(s);
	}
	ctl_server_config_destroy(cfg);
	d_diags_fini(&dg);
}

/*
 * Uniqueness across engines holds for every pair, not only neighbours: with
 * 3 and 4 engines, one engine repeats a value of a non-adjacent one.  Each
 * engine otherwise has its own port, log file, mount, SCM device and bdev.
 */
enum uniq_rule { U_FABRIC, U_LOG, U_MOUNT, U_SCM_LIST, U_BDEV_FILE, U_BDEV_NVME, U_NRULES };

static const char *const uniq_name[U_NRULES] = {"fabric",   "log_file",		"scm_mount",
						"scm_list", "bdev_list (file)", "bdev_list (nvme)"};

/* Engine `i` of an n-engine file, written with the values of engine `as`. */
static void
uniq_engine(struct d_sbuf *sb, enum uniq_rule r, size_t i, size_t as)
{
	bool   dcpm = r == U_SCM_LIST;
	bool   nvme = r == U_SCM_LIST || r == U_BDEV_NVME;
	size_t v;

	v = r == U_FABRIC ? as : i;
	d_sbuf_printf(sb,
		      "- targets: 8\n  nr_xs_helpers: 2\n  fabric_iface: eth0\n"
		      "  fabric_iface_port: %zu\n",
		      31416 + 1000 * v);
	v = r == U_LOG ? as : i;
	d_sbuf_printf(sb, "  log_file: /tmp/e%zu.log\n  storage:\n", v);
	v = r == U_MOUNT ? as : i;
	d_sbuf_printf(sb, "  - class: %s\n    scm_mount: /mnt/daos%zu\n", dcpm ? "dcpm" : "ram", v);
	if (dcpm)
		d_sbuf_printf(sb, "    scm_list: [/dev/pmem%zu]\n", as);
	v = r == U_BDEV_FILE || r == U_BDEV_NVME ? as : i;
	if (nvme)
		d_sbuf_printf(sb, "  - class: nvme\n    bdev_list: [\"0000:%02zx:00.0\"]\n",
			      0x81 + v);
	else
		d_sbuf_printf(
			sb, "  - class: file\n    bdev_list: [/tmp/b%zu]\n    bdev_size: 16\n", v);
}

/* n engines, all distinct except that engine dup[k] repeats engine orig[k]. */
static char *
uniq_yaml(enum uniq_rule r, size_t n, const size_t *orig, const size_t *dup, size_t ndup)
{
	struct d_sbuf sb;

	d_sbuf_init(&sb);
	d_sbuf_printf(&sb, "mgmt_svc_replicas: [host1]\nprovider: ofi+tcp\nengines:\n");
	for (size_t i = 0; i < n; i++) {
		size_t as = i;

		for (size_t k = 0; k < ndup; k++)
			if (dup[k] == i)
				as = orig[k];
		uniq_engine(&sb, r, i, as);
	}
	assert_false(sb.failed);
	return d_sbuf_take(&sb);
}

/* Exact message and key of the duplicate of engine b found in engine a. */
static void
uniq_expect(enum uniq_rule r, size_t a, size_t b, char *msg, size_t msz, char *key, size_t ksz)
{
	switch (r) {
	case U_FABRIC:
		snprintf(msg, msz,
			 "the fabric configuration in I/O Engine %zu is a duplicate of I/O Engine "
			 "%zu; give each engine a unique combination of provider, fabric_iface "
			 "and fabric_iface_port",
			 b, a);
		snprintf(key, ksz, "engines[%zu].fabric_iface_port", b);
		break;
	case U_LOG:
		snprintf(msg, msz,
			 "the log_file value in I/O Engine %zu is a duplicate of I/O Engine %zu; "
			 "ensure that each I/O Engine has a unique log_file value",
			 b, a);
		snprintf(key, ksz, "engines[%zu].log_file", b);
		break;
	case U_MOUNT:
	case U_SCM_LIST: {
		const char *k = r == U_MOUNT ? "scm_mount" : "scm_list";

		snprintf(msg, msz,
			 "the %s value in I/O Engine %zu is a duplicate of I/O Engine %zu; "
			 "ensure that each I/O Engine has a unique %s value",
			 k, b, a, k);
		snprintf(key, ksz, "engines[%zu].storage[0].%s", b, k);
		break;
	}
	default:
		snprintf(msg, msz,
			 "the bdev_list value in engine %zu overlaps with entries in engine %zu; "
			 "give each engine its own devices",
			 b, a);
		snprintf(key, ksz, "engines[%zu].storage", b);
		break;
	}
}

/*
 * Load and validate `yaml`; the errors must be exactly the duplicates
 * (orig[k], dup[k]) of rule r, in that order.
 */
static void
uniq_check(const char *what, enum uniq_rule r, const char *yaml, const size_t *orig,
	   const size_t *dup, size_t ndup)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	size_t			  k = 0;
	int			  rc;

	d_diags_init(&dg, "test.yml");
	rc = ctl_server_config_load_string("test.yml", yaml, &cfg, &dg);
	if (rc == 0)
		rc = ctl_server_config_validate(cfg, &dg);
	if (rc != (ndup ? -DER_INVAL : 0) || d_diags_count(&dg, D_DIAG_ERROR) != ndup) {
		d_diags_print(&dg, D_DIAG_ERROR, stderr);
		fail_msg("%s, %s: rc %d with %zu errors, want %zu", uniq_name[r], what, rc,
			 d_diags_count(&dg, D_DIAG_ERROR), ndup);
	}
	for (size_t i = 0; i < dg.n; i++) {
		char msg[512], key[64];

		if (dg.v[i].sev != D_DIAG_ERROR)
			continue;
		uniq_expect(r, orig[k], dup[k], msg, sizeof(msg), key, sizeof(key));
		if (strcmp(dg.v[i].msg, msg) != 0 || dg.v[i].key == NULL ||
		    strcmp(dg.v[i].key, key) != 0)
			fail_msg("%s, %s: error %zu is\n  %s: %s\nwant\n  %s: %s", uniq_name[r],
				 what, k, dg.v[i].key ? dg.v[i].key : "(null)", dg.v[i].msg, key,
				 msg);
		k++;
	}
	ctl_server_config_destroy(cfg);
	d_diags_fini(&dg);
}

static void
test_duplicates_every_pair(void **state)
{
	/* n engines; engine dup repeats engine orig (never its neighbour) */
	static const struct {
		size_t n, orig, dup;
	} pairs[] = {{3, 0, 2}, {4, 0, 2}, {4, 0, 3}, {4, 1, 3}};

	(void)state;
	for (int r = 0; r < U_NRULES; r++) {
		for (size_t n = 3; n <= 4; n++) {
			char *y = uniq_yaml(r, n, NULL, NULL, 0);

			uniq_check("all distinct", r, y, NULL, NULL, 0);
			D_FREE(y);
		}
		for (size_t i = 0; i < D_ARRAY_SIZE(pairs); i++) {
			char  what[64];
			char *y = uniq_yaml(r, pairs[i].n, &pairs[i].orig, &pairs[i].dup, 1);

			snprintf(what, sizeof(what), "%zu engines, %zu repeats %zu", pairs[i].n,
				 pairs[i].dup, pairs[i].orig);
			uniq_check(what, r, y, &pairs[i].orig, &pairs[i].dup, 1);
			D_FREE(y);
		}
		/* three engines with one value: each later engine names each earlier one */
		{
			static const size_t orig[] = {0, 0, 1}, dup[] = {1, 2, 2};
			static const size_t o2[] = {0, 0}, d2[] = {1, 2};
			char		   *y = uniq_yaml(r, 3, o2, d2, 2);

			uniq_check("3 engines, one value", r, y, orig, dup, 3);
			D_FREE(y);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation_table),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_duplicates_every_pair),
	};

	return cmocka_run_group_tests_name("config_validate", tests, NULL, NULL);
}
