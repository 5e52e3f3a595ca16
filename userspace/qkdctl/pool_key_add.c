// SPDX-License-Identifier: GPL-2.0
/*
 * "qkdctl pool key add": fill a stream with random keys (and optionally
 * write their mirror, owners swapped, for the peer's pool), or with the
 * records of a file such a mirror produced. For tests and bring-up before
 * a key manager runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "json.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "report.h"
#include "secmem.h"

#define BATCH		QKD_ADD_BATCH_MAX
#define OWNER_ALTERNATE	0

struct add_args {
	const char *stream;
	uint32_t count;		/* random */
	uint32_t size;
	uint32_t owner;		/* QKD_OWNER_* or OWNER_ALTERNATE */
	const char *mirror;
	const char *file;	/* file */
	bool has_lifetime;
	uint32_t lifetime_ms;
};

static uint32_t parse_owner(const char *arg)
{
	if (!strcmp(arg, "local"))
		return QKD_OWNER_LOCAL;
	if (!strcmp(arg, "peer"))
		return QKD_OWNER_PEER;
	if (!strcmp(arg, "alternate"))
		return OWNER_ALTERNATE;
	invarg("owner is local, peer or alternate", arg);
}

static void parse_option(int *argcp, char ***argvp, struct add_args *a)
{
	int argc = *argcp;
	char **argv = *argvp;
	const char *key = *argv;

	if (strcmp(key, "lifetime") && !a->count)
		usage_error("\"%s\" applies to \"random\" only", key);
	NEXT_ARG();
	if (!strcmp(key, "size")) {
		a->size = get_u32_arg(key, *argv);
		if (a->size < QKD_KEY_MIN_LEN || a->size > QKD_KEY_MAX_LEN)
			invarg("key size is 16..64 bytes", *argv);
	} else if (!strcmp(key, "owner")) {
		a->owner = parse_owner(*argv);
	} else if (!strcmp(key, "mirror")) {
		a->mirror = *argv;
	} else {
		a->lifetime_ms = get_duration_arg(key, *argv);
		a->has_lifetime = true;
	}
	*argcp = argc;
	*argvp = argv;
}

static void parse_add(int argc, char *argv[], struct add_args *a)
{
	static const char *const keys[] = { "size", "owner", "mirror", "lifetime" };
	unsigned int seen = 0, i;

	if (argc < 3)
		usage_error("usage: pool key add STREAM { random COUNT ... | file FILE } ...");
	a->stream = get_stream_arg(argv[0]);
	if (!strcmp(argv[1], "random")) {
		a->count = get_u32_arg("random", argv[2]);
		if (!a->count)
			invarg("at least one key", argv[2]);
	} else if (!strcmp(argv[1], "file")) {
		a->file = argv[2];
	} else {
		usage_error("\"pool key add\" takes \"random COUNT\" or \"file FILE\", not \"%s\"",
			    argv[1]);
	}
	for (argc -= 3, argv += 3; argc > 0; argc--, argv++) {
		for (i = 0; i < 4 && strcmp(*argv, keys[i]); i++)
			;
		if (i == 4)
			usage_error("unknown key add option \"%s\"", *argv);
		if (seen & (1U << i))
			duparg(*argv);
		seen |= 1U << i;
		parse_option(&argc, &argv, a);
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static void swap_owners(struct qkd_key_record *recs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		recs[i].owner = recs[i].owner == QKD_OWNER_LOCAL ?
				QKD_OWNER_PEER : QKD_OWNER_LOCAL;
}

static int fill_random(const struct add_args *a, struct qkd_key_record *recs,
		       size_t n, uint32_t first)
{
	uint32_t owner;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		owner = a->owner;
		if (owner == OWNER_ALTERNATE)
			owner = (first + i) % 2 ? QKD_OWNER_PEER : QKD_OWNER_LOCAL;
		ret = qkd_random_key(&recs[i], a->size, owner, a->lifetime_ms);
		if (ret)
			return ret;
	}
	return 0;
}

/* Add n records; a request refused midway still counts what went in. */
static int add_records(struct qkd_genl *g, const char *stream,
		       const struct qkd_key_record *recs, size_t n,
		       uint32_t *added)
{
	int err = 0, ret;

	ret = qkd_genl_key_add(g, stream, recs, n, &err);
	if (ret < 0)
		err = ret;
	else
		*added += ret;
	if (err)
		return report(g, err, "cannot add keys to \"%s\" (%u added)",
			      stream, *added);
	return 0;
}

/* One batch: mirror first, so that the peer's file never lacks a key we hold. */
static int add_random_batch(struct qkd_genl *g, const struct add_args *a,
			    struct qkd_key_record *recs, size_t n,
			    uint32_t *added, int mfd)
{
	int ret = fill_random(a, recs, n, *added);

	if (ret)
		return report(NULL, ret, "cannot generate random keys");
	if (mfd >= 0) {
		swap_owners(recs, n);
		ret = write_all(mfd, recs, n * sizeof(*recs));
		swap_owners(recs, n);
		if (ret)
			return report(NULL, ret, "cannot write mirror file %s",
				      a->mirror);
	}
	return add_records(g, a->stream, recs, n, added);
}

/*
 * On failure the mirror file is cut back to the keys actually added (or
 * removed if none were), so both ends still hold the same set.
 */
static void mirror_finish(const struct add_args *a, int mfd, uint32_t added,
			  bool failed)
{
	if (failed && added == 0) {
		close(mfd);
		unlink(a->mirror);
		return;
	}
	if (failed && ftruncate(mfd, (off_t)added * sizeof(struct qkd_key_record)))
		report(NULL, -errno, "cannot truncate mirror file %s", a->mirror);
	if (close(mfd))
		report(NULL, -errno, "cannot write mirror file %s", a->mirror);
}

static int add_random(struct qkd_genl *g, const struct add_args *a,
		      struct qkd_key_record *recs, uint32_t *added)
{
	int mfd = -1, ret = 0;
	size_t n;

	if (a->mirror) {
		/* O_EXCL: never follow a planted symlink or reuse old keys. */
		mfd = open(a->mirror, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			   0600);
		if (mfd < 0)
			return report(NULL, -errno, "cannot create mirror file %s",
				      a->mirror);
	}
	while (*added < a->count) {
		n = a->count - *added < BATCH ? a->count - *added : BATCH;
		ret = add_random_batch(g, a, recs, n, added, mfd);
		if (ret)
			break;
	}
	if (mfd >= 0)
		mirror_finish(a, mfd, *added, ret);
	return ret;
}

static int read_records(int fd, struct qkd_key_record *recs, size_t max,
			size_t *n)
{
	size_t want = max * sizeof(*recs), got = 0;
	ssize_t r;

	while (got < want) {
		r = read(fd, (char *)recs + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += r;
	}
	*n = got / sizeof(*recs);
	return 0;
}

static const char *bad_record(const struct qkd_key_record *rec)
{
	if (rec->material_len < QKD_KEY_MIN_LEN ||
	    rec->material_len > QKD_KEY_MAX_LEN)
		return "material length not 16..64";
	if (rec->owner != QKD_OWNER_LOCAL && rec->owner != QKD_OWNER_PEER)
		return "owner neither local nor peer";
	if (rec->flags)
		return "flags not 0";
	return NULL;
}

/* Check the whole file before adding anything: bad input loses nothing. */
static int check_file(const struct add_args *a, int fd,
		      struct qkd_key_record *recs, uint32_t *total)
{
	const char *why;
	struct stat st;
	size_t n, i;
	int ret;

	if (fstat(fd, &st))
		return report(NULL, -errno, "cannot read %s", a->file);
	if (st.st_size == 0 || st.st_size % sizeof(*recs) ||
	    st.st_size / sizeof(*recs) > UINT32_MAX) {
		fprintf(stderr, "%s: %s: %lld bytes is not a whole number of %zu-byte key records\n",
			prog, a->file, (long long)st.st_size, sizeof(*recs));
		return EXIT_FAIL;
	}
	*total = st.st_size / sizeof(*recs);
	for (i = 0; i < *total; i += n) {
		ret = read_records(fd, recs, BATCH, &n);
		if (ret || n == 0)
			return report(NULL, ret ? ret : -EIO, "cannot read %s",
				      a->file);
		for (size_t j = 0; j < n; j++) {
			why = bad_record(&recs[j]);
			if (!why)
				continue;
			fprintf(stderr, "%s: %s: record %zu: %s; nothing added\n",
				prog, a->file, i + j, why);
			return EXIT_FAIL;
		}
	}
	return lseek(fd, 0, SEEK_SET) ? report(NULL, -errno, "cannot read %s", a->file) : 0;
}

static int add_file(struct qkd_genl *g, const struct add_args *a,
		    struct qkd_key_record *recs, uint32_t *added)
{
	uint32_t total = 0;
	size_t n, i;
	int fd, ret;

	fd = open(a->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return report(NULL, -errno, "cannot open %s", a->file);
	ret = check_file(a, fd, recs, &total);
	while (!ret && *added < total) {
		ret = read_records(fd, recs, BATCH, &n);
		if (ret || n == 0) {
			ret = report(NULL, ret ? ret : -EIO, "cannot read %s", a->file);
			break;
		}
		for (i = 0; a->has_lifetime && i < n; i++)
			recs[i].lifetime_ms = a->lifetime_ms;
		ret = add_records(g, a->stream, recs, n, added);
	}
	close(fd);
	return ret;
}

static void print_added(const struct add_args *a, uint32_t added)
{
	if (opts.json) {
		json_open_object(NULL);
		json_string("stream", a->stream);
		json_u64("added", added);
		if (a->mirror)
			json_string("mirror", a->mirror);
		json_close_object();
		json_end();
		return;
	}
	printf("added %u keys to %s", added, a->stream);
	if (a->mirror)
		printf("; mirror (owners swapped) in %s", a->mirror);
	putchar('\n');
}

int pool_key_add(int argc, char *argv[])
{
	struct add_args a = { .size = 32, .owner = QKD_OWNER_LOCAL };
	const size_t len = BATCH * sizeof(struct qkd_key_record);
	struct qkd_key_record *recs;
	struct qkd_genl *g;
	uint32_t added = 0;
	int ret;

	parse_add(argc, argv, &a);
	g = genl_open_or_report();
	if (!g)
		return EXIT_FAIL;
	recs = calloc(1, len);
	if (!recs) {
		ret = report(NULL, -ENOMEM, "cannot add keys");
		goto out_close;
	}
	mlock(recs, len);	/* best effort: keep key material out of swap */
	if (a.count)
		ret = add_random(g, &a, recs, &added);
	else
		ret = add_file(g, &a, recs, &added);
	if (!ret)
		print_added(&a, added);
	qkd_wipe(recs, len);
	munlock(recs, len);
	free(recs);
out_close:
	qkd_genl_close(g);
	return ret;
}
