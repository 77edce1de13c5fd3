// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The veth selftests' world; see vethenv.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "httpc.h"
#include "netns.h"
#include "vethenv.h"

void vethenv_backend_ip4(char *buf, size_t len, int i)
{
	snprintf(buf, len, "10.200.%d.2", 10 + i);
}

void vethenv_backend_ip6(char *buf, size_t len, int i)
{
	snprintf(buf, len, "fd00:200:%d::2", 10 + i);
}

static int vctl(struct vethenv *e, char *buf, size_t len, const char *fmt,
		va_list ap)
{
	char args[1024];

	vsnprintf(args, sizeof(args), fmt, ap);
	if (buf)
		return run_capture(buf, len, "%s -n %s --pin-root %s %s",
				   e->shuntctl, e->node_ns, e->pin_root, args);
	return run_cmdf("%s -n %s --pin-root %s %s", e->shuntctl, e->node_ns,
			e->pin_root, args);
}

int vethenv_ctl(struct vethenv *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vctl(e, NULL, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int vethenv_ctl_capture(struct vethenv *e, char *buf, size_t len,
			const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vctl(e, buf, len, fmt, ap);
	va_end(ap);
	return rc;
}

int vethenv_services(struct vethenv *e, int port, const char *proto,
		     int backend_port)
{
	char b[64];
	int i;

	if (vethenv_ctl(e, "service add %s:%d/%s", VETH_VIP4, port, proto) ||
	    vethenv_ctl(e, "service add [%s]:%d/%s", VETH_VIP6, port, proto))
		return -1;
	for (i = 1; i <= e->nbackends; i++) {
		vethenv_backend_ip4(b, sizeof(b), i);
		if (vethenv_ctl(e, "backend add %s:%d/%s %s:%d", VETH_VIP4,
				port, proto, b, backend_port))
			return -1;
		vethenv_backend_ip6(b, sizeof(b), i);
		if (vethenv_ctl(e, "backend add [%s]:%d/%s [%s]:%d", VETH_VIP6,
				port, proto, b, backend_port))
			return -1;
	}
	return 0;
}

long long vethenv_counter(struct vethenv *e, const char *name)
{
	static char buf[1 << 16];
	struct json_object *root, *dp, *v;
	long long val = -1;

	if (vethenv_ctl_capture(e, buf, sizeof(buf), "stats --json"))
		return -1;
	root = json_tokener_parse(buf);
	if (root && json_object_object_get_ex(root, "datapath", &dp) &&
	    json_object_object_get_ex(dp, name, &v))
		val = json_object_get_int64(v);
	json_object_put(root);
	return val;
}

int vethenv_which(struct vethenv *e, const char *host, int port, char *name,
		  size_t len)
{
	int status, err;

	err = http_get_once(e->client_ns, host, port, "/", &status, name, len,
			    VETH_TIMEOUT_MS);
	if (err)
		return err;
	if (status != 200)
		return -EPROTO;
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

/* Native XDP on veth needs the peers prepared (docs/datapath.md): GRO to
 * receive XDP redirects, no tx checksum offload so frames carry a full
 * checksum. */
static int prepare_xdp_peers(struct vethenv *e)
{
	int i, err;

	err = run_cmdf("ip netns exec %s ethtool -K eth0 tx off gro on "
		       ">/dev/null",
		       e->client_ns);
	for (i = 1; !err && i <= e->nbackends; i++)
		err = run_cmdf("ip netns exec %sbe%d ethtool -K eth0 tx off "
			       "gro on >/dev/null",
			       e->prefix, i);
	return err;
}

static int attach_all(struct vethenv *e)
{
	char ifaces[256] = "c0";
	size_t off = 2;
	int i;

	for (i = 1; i <= e->nbackends; i++)
		off += snprintf(ifaces + off, sizeof(ifaces) - off, " b%d", i);
	return vethenv_ctl(e, "attach %s --mode %s", ifaces, e->mode);
}

static void env_init(struct vethenv *e, const char *tag, int nbackends)
{
	const char *src = getenv("SHUNT_SRC");
	const char *build = getenv("BUILD");
	const char *mode = getenv("SHUNT_TEST_MODE");

	memset(e, 0, sizeof(*e));
	if (src && *src)
		snprintf(e->src, sizeof(e->src), "%s", src);
	else if (!getcwd(e->src, sizeof(e->src)))
		snprintf(e->src, sizeof(e->src), ".");
	if (!build || !*build)
		build = "build";
	if (build[0] == '/')
		snprintf(e->shuntctl, sizeof(e->shuntctl), "%s/shuntctl",
			 build);
	else
		snprintf(e->shuntctl, sizeof(e->shuntctl), "%s/%s/shuntctl",
			 e->src, build);
	snprintf(e->mode, sizeof(e->mode), "%s", mode && *mode ? mode : "tc");
	snprintf(e->prefix, sizeof(e->prefix), "sv%s%d", tag, (int)getpid());
	snprintf(e->client_ns, sizeof(e->client_ns), "%sclient", e->prefix);
	snprintf(e->node_ns, sizeof(e->node_ns), "%snode", e->prefix);
	snprintf(e->pin_root, sizeof(e->pin_root), "/sys/fs/bpf/shunt-test-%s",
		 e->prefix);
	e->nbackends = nbackends;
}

int vethenv_up(struct vethenv *e, const char *tag, int nbackends)
{
	env_init(e, tag, nbackends);
	if (run_cmdf("%s/tests/lib/topo.sh up %s %d", e->src, e->prefix,
		     nbackends))
		goto fail;
	if (!strcmp(e->mode, "xdp") && prepare_xdp_peers(e))
		goto fail;
	if (attach_all(e))
		goto fail;
	/* From here on the stack cannot forward anything. */
	if (run_cmdf("ip netns exec %s iptables -P FORWARD DROP && "
		     "ip netns exec %s ip6tables -P FORWARD DROP",
		     e->node_ns, e->node_ns))
		goto fail;
	return 0;
fail:
	vethenv_down(e);
	return -1;
}

void vethenv_down(struct vethenv *e)
{
	if (!e->prefix[0])
		return;
	/* In the node's namespace to reach its tc filters; if that is gone,
	 * from here, to remove the pins at least. */
	if (vethenv_ctl(e, "unload"))
		run_cmdf("%s --pin-root %s unload", e->shuntctl, e->pin_root);
	run_cmdf("%s/tests/lib/topo.sh down %s", e->src, e->prefix);
	e->prefix[0] = '\0';
}
