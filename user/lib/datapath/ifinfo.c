// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Interface facts from the kernel of the current network namespace:
 * ethtool for the driver and bus, rtnetlink for where a veth's peer is.
 * (sysfs would show the namespace it was mounted in, not ours.)
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "ifinfo.h"

static int ethtool_drvinfo(const char *name, struct ethtool_drvinfo *di)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memset(di, 0, sizeof(*di));
	di->cmd = ETHTOOL_GDRVINFO;
	ifr.ifr_data = (void *)di;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/* Does RTM_GETLINK for ifindex carry IFLA_LINK_NETNSID? */
static int link_has_netnsid(int ifindex, bool *has)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.ifi.ifi_index = ifindex,
	};
	char buf[16384];
	struct nlmsghdr *nh;
	struct rtattr *rta;
	int fd, len, alen;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0 ||
	    (len = recv(fd, buf, sizeof(buf), 0)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	*has = false;
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (unsigned int)len) || nh->nlmsg_type != RTM_NEWLINK)
		return -ENODEV;
	alen = IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(rta, alen);
	     rta = RTA_NEXT(rta, alen))
		if (rta->rta_type == IFLA_LINK_NETNSID)
			*has = true;
	return 0;
}

int ifinfo_get(const char *name, struct ifinfo *info)
{
	struct ethtool_drvinfo di;
	int err;

	memset(info, 0, sizeof(*info));
	info->ifindex = if_nametoindex(name);
	if (!info->ifindex)
		return -ENODEV;
	snprintf(info->name, sizeof(info->name), "%s", name);
	if (ethtool_drvinfo(name, &di) == 0) {
		snprintf(info->driver, sizeof(info->driver), "%s", di.driver);
		info->physical = di.bus_info[0] != '\0';
	}
	info->veth = !strcmp(info->driver, "veth");
	if (info->veth) {
		err = link_has_netnsid(info->ifindex, &info->peer_netns);
		if (err)
			return err;
	}
	return 0;
}
