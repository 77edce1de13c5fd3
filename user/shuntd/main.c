// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntd: shunt's node agent. See shuntd -h and README.md. */
#include <signal.h>
#include <stdio.h>

#include "agent.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct shuntd_options opt;
	bool exit_now;
	int rc;

	rc = shuntd_options_parse(&opt, argc, argv, &exit_now);
	if (rc || exit_now)
		return rc;
	log_setup(opt.log_format, opt.debug ? LOG_DEBUG : LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	if (opt.cleanup)
		return agent_cleanup(&opt);
	return agent_run(&opt);
}
