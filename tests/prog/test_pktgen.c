// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The test packet tool (tests/lib/pktgen) checked on its own, so the
 * other program tests can trust it: known-answer checksum vectors, the
 * reader agreeing with the builder, and the kernel's receive path
 * agreeing with the checksums it computes: frames written into cli1 by
 * a packet socket arrive on cli0 without checksum offload, and the stack
 * either delivers them or counts InCsumErrors.
 */
#include <poll.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include "progtest.h"

static void test_pktgen_vectors(void **state)
{
	/* RFC 1071 section 3 example. */
	static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03,
					  0xf4, 0xf5, 0xf6, 0xf7};
	/* A well-known IPv4 header, checksum 0xb861. */
	static const uint8_t ip4[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
				      0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
				      0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static const uint8_t odd[] = {0x01, 0x02, 0x03};

	(void)state;
	assert_int_equal(pg_fold(pg_sum(0, rfc1071, sizeof(rfc1071))), 0xddf2);
	assert_int_equal(pg_ip4_csum(ip4, sizeof(ip4)), 0xb861);
	assert_int_equal(pg_fold(pg_sum(0, ip4, sizeof(ip4))), 0xffff);
	assert_int_equal(pg_sum(0, odd, sizeof(odd)), 0x0402);
}

/* Builder -> reader round trip, and the verifier noticing damage. */
static void test_pktgen_roundtrip(void **state)
{
	struct pg_spec s;
	struct pg_info in;
	uint8_t buf[PG_MAX_FRAME];
	size_t len, i;
	char why[128];

	(void)state;
	pg_spec_init(&s, "10.1.2.3", 1234, "10.9.8.7", 80, IPPROTO_TCP);
	s.nvlan = 1;
	s.vlan_tci[0] = 42;
	s.ttl = 17;
	s.ip_opts_len = 4;
	memset(s.ip_opts, 1, 4);
	s.tcp_opts_len = 8;
	s.tcp_flags = PG_TCP_SYN | PG_TCP_ACK;
	len = pg_build(&s, buf, sizeof(buf), NULL);
	assert_int_equal(len, 14 + 4 + 24 + 28 + 32);
	assert_int_equal(pg_parse(buf, len, &in), 0);
	assert_int_equal(in.nvlan, 1);
	assert_int_equal(in.vlan_tci[0], 42);
	assert_int_equal(in.family, 4);
	assert_addr(&in.src, "10.1.2.3");
	assert_addr(&in.dst, "10.9.8.7");
	assert_int_equal(in.sport, 1234);
	assert_int_equal(in.dport, 80);
	assert_int_equal(in.ttl, 17);
	assert_int_equal(in.ip_hlen, 24);
	assert_int_equal(in.tcp_flags, PG_TCP_SYN | PG_TCP_ACK);
	assert_int_equal(pg_verify_csums(buf, len, why, sizeof(why)), 0);
	/* Any flipped bit from the IP header on is noticed. */
	for (i = 18; i < len; i++) {
		buf[i] ^= 0x10;
		if (pg_verify_csums(buf, len, NULL, 0) == 0 &&
		    pg_parse(buf, len, &in) == 0)
			fail_msg("damage at byte %zu not noticed", i);
		buf[i] ^= 0x10;
	}

	pg_spec_init(&s, "fd00::1", 5353, "fd00::2", 53, IPPROTO_UDP);
	s.ext[0].type = PG_EXT_HOP;
	s.ext[1].type = PG_EXT_DEST;
	s.ext[1].len = 16;
	s.next = 2;
	s.ttl = 3;
	len = pg_build(&s, buf, sizeof(buf), NULL);
	assert_int_equal(pg_parse(buf, len, &in), 0);
	assert_int_equal(in.family, 6);
	assert_int_equal(in.proto, IPPROTO_UDP);
	assert_int_equal(in.ip_hlen, 40 + 8 + 16);
	assert_int_equal(in.sport, 5353);
	assert_int_equal(in.ttl, 3);
	assert_int_equal(pg_verify_csums(buf, len, NULL, 0), 0);
	buf[len - 1] ^= 1;
	assert_int_not_equal(pg_verify_csums(buf, len, NULL, 0), 0);

	/* Fragments of one datagram reassemble to the whole. */
	pg_spec_init(&s, "10.1.2.3", 1, "10.9.8.7", 2, IPPROTO_UDP);
	s.payload_len = 100;
	s.frag = true;
	s.frag_more = true;
	s.frag_len = 48;
	len = pg_build(&s, buf, sizeof(buf), NULL);
	assert_int_equal(pg_parse(buf, len, &in), 0);
	assert_true(in.is_frag && in.first_frag && in.frag_more);
	assert_int_equal(in.lay.l4_len, 48);
	s.frag_offset = 48;
	s.frag_len = 0;
	s.frag_more = false;
	len = pg_build(&s, buf, sizeof(buf), NULL);
	assert_int_equal(pg_parse(buf, len, &in), 0);
	assert_true(in.is_frag && !in.first_frag && !in.frag_more);
	assert_int_equal(in.frag_offset, 48);
	assert_int_equal(in.lay.l4_len, 108 - 48);
}

/* One counter of /proc/self/net/snmp ("Udp", "InCsumErrors") or
 * /proc/self/net/snmp6 (NULL, "Udp6InCsumErrors") or netstat. */
static long long snmp(const char *file, const char *group, const char *name)
{
	char path[64], names[4096], vals[4096], *ns, *vs, *n, *v;
	long long res = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/net/%s", file);
	f = fopen(path, "r");
	assert_non_null(f);
	if (!group) {
		while (fscanf(f, "%255s %lld", names, &res) == 2)
			if (!strcmp(names, name))
				break;
		fclose(f);
		return res;
	}
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		size_t gl = strlen(group);

		if (strncmp(names, group, gl) || names[gl] != ':')
			continue;
		n = strtok_r(names + gl + 1, " \n", &ns);
		v = strtok_r(vals + gl + 1, " \n", &vs);
		while (n && v) {
			if (!strcmp(n, name)) {
				res = atoll(v);
				break;
			}
			n = strtok_r(NULL, " \n", &ns);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return res;
}

static void inject(const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(PENV_CLI_PEER);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	assert_int_equal(
		sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)),
		(ssize_t)len);
	close(fd);
}

static void settle(void)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

/* A UDP socket on the node's cli0 address, port 7000. */
static int udp_listener(int family)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd = socket(family == 4 ? AF_INET : AF_INET6,
			SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	if (family == 4) {
		memset(&a4, 0, sizeof(a4));
		a4.sin_family = AF_INET;
		a4.sin_port = htons(7000);
		memcpy(&a4.sin_addr, pg_addr("10.0.0.1").b, 4);
		assert_int_equal(bind(fd, (struct sockaddr *)&a4, sizeof(a4)),
				 0);
	} else {
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(7000);
		memcpy(&a6.sin6_addr, pg_addr("fd00:a::1").b, 16);
		assert_int_equal(bind(fd, (struct sockaddr *)&a6, sizeof(a6)),
				 0);
	}
	return fd;
}

static bool received(int fd, const char *want)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[256];
	ssize_t n;

	if (poll(&p, 1, 500) != 1)
		return false;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, want);
}

static void udp_frame(struct pg_spec *s, int family, const char *payload)
{
	pg_spec_init(s, family == 4 ? PENV_CLIENT4 : PENV_CLIENT6, 40000,
		     family == 4 ? "10.0.0.1" : "fd00:a::1", 7000, IPPROTO_UDP);
	memcpy(s->dmac, penv.mac_cli, 6);
	s->payload = payload;
	s->payload_len = strlen(payload);
}

/* The stack accepts pktgen's UDP checksums and rejects damaged ones. */
static void test_pktgen_kernel_udp(void **state)
{
	uint8_t frame[PG_MAX_FRAME];
	struct pg_spec s;
	int family, fd;
	size_t len;
	long long before;

	(void)state;
	for (family = 4; family <= 6; family += 2) {
		const char *file = family == 4 ? "snmp" : "snmp6";
		const char *group = family == 4 ? "Udp" : NULL;
		const char *name =
			family == 4 ? "InCsumErrors" : "Udp6InCsumErrors";

		fd = udp_listener(family);
		udp_frame(&s, family, "pktgen-good");
		len = pg_build(&s, frame, sizeof(frame), NULL);
		before = snmp(file, group, name);
		inject(frame, len);
		assert_true(received(fd, "pktgen-good"));
		assert_int_equal(snmp(file, group, name), before);

		/* Odd payload length: the pad byte of RFC 1071. */
		udp_frame(&s, family, "pktgen-odd");
		s.payload_len = 9;
		len = pg_build(&s, frame, sizeof(frame), NULL);
		inject(frame, len);
		assert_true(received(fd, "pktgen-od"));

		udp_frame(&s, family, "pktgen-bad");
		len = pg_build(&s, frame, sizeof(frame), NULL);
		frame[len - 1] ^= 0x01; /* payload changed, checksum not */
		before = snmp(file, group, name);
		inject(frame, len);
		assert_false(received(fd, "pktgen-bad"));
		settle();
		assert_int_equal(snmp(file, group, name), before + 1);
		close(fd);
	}
}

/* TCP: a SYN with pktgen's checksum gets a SYN-ACK; a damaged one is
 * counted as a checksum error. IPv4 header checksum likewise. */
static void test_pktgen_kernel_tcp_ip(void **state)
{
	uint8_t frame[PG_MAX_FRAME];
	struct pg_spec s;
	long long out, errs;
	size_t len;
	int fd, one = 1;

	(void)state;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	{
		struct sockaddr_in6 a6;

		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6; /* dual stack, any address */
		a6.sin6_port = htons(7001);
		assert_int_equal(bind(fd, (struct sockaddr *)&a6, sizeof(a6)),
				 0);
	}
	assert_int_equal(listen(fd, 16), 0);

	for (int family = 4; family <= 6; family += 2) {
		pg_spec_init(&s, family == 4 ? PENV_CLIENT4 : PENV_CLIENT6,
			     (uint16_t)(41000 + family),
			     family == 4 ? "10.0.0.1" : "fd00:a::1", 7001,
			     IPPROTO_TCP);
		memcpy(s.dmac, penv.mac_cli, 6);
		s.payload_len = 0;
		s.tcp_opts_len = 4;
		len = pg_build(&s, frame, sizeof(frame), NULL);
		out = snmp("snmp", "Tcp", "OutSegs");
		errs = snmp("snmp", "Tcp", "InCsumErrors");
		inject(frame, len);
		settle();
		assert_int_equal(snmp("snmp", "Tcp", "InCsumErrors"), errs);
		assert_true(snmp("snmp", "Tcp", "OutSegs") >= out + 1);

		s.sport++;
		len = pg_build(&s, frame, sizeof(frame), NULL);
		frame[len - 20 + 4] ^= 0x01; /* sequence number */
		inject(frame, len);
		settle();
		assert_int_equal(snmp("snmp", "Tcp", "InCsumErrors"), errs + 1);
	}
	close(fd);

	/* IPv4 header checksum: a damaged one is an IP checksum error. */
	udp_frame(&s, 4, "pktgen-iphdr");
	len = pg_build(&s, frame, sizeof(frame), NULL);
	errs = snmp("netstat", "IpExt", "InCsumErrors");
	frame[14 + 10] ^= 0x01;
	inject(frame, len);
	settle();
	assert_int_equal(snmp("netstat", "IpExt", "InCsumErrors"), errs + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pktgen_vectors),
		cmocka_unit_test(test_pktgen_roundtrip),
		cmocka_unit_test(test_pktgen_kernel_udp),
		cmocka_unit_test(test_pktgen_kernel_tcp_ip),
	};

	return cmocka_run_group_tests_name("prog_pktgen", tests, penv_setup,
					   penv_teardown);
}
