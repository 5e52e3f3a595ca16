// SPDX-License-Identifier: GPL-2.0
/*
 * What the strongSwan plugin parses: a peer's PPK_ID (qkd_ppk_id.c) and
 * the stream sections of its settings (qkd_streams.c), with Debian's
 * libstrongswan. An input is four lines: a PPK_ID, a connection name, a
 * remote identity, then the settings text. A PPK_ID that parses must be
 * the canonical "qkd:<uuid>" the plugin sends, so formatting the parsed ID
 * gives the input back (hex digits in either case).
 */
#include <library.h>
#include <strings.h>
#include <unistd.h>

#include "qkd_ppk_id.h"
#include "qkd_streams.h"

/*
 * qkd_streams.c logs through charon's bus in the functions that take an
 * IKE_SA (libcharon's DBG macros): never called here, so the target need
 * not link libcharon, only satisfy the reference.
 */
struct daemon_t;
struct daemon_t *charon;

static char *line(char **p, char *end)
{
	char *s = *p, *nl = memchr(s, '\n', end - s);

	if (!nl)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	return s;
}

static void ppk_id(char *s)
{
	u_char id[QKD_KEY_ID_LEN];
	char buf[QKD_PPK_ID_LEN + 1];

	if (!qkd_ppk_id_parse(chunk_from_str(s), id))
		return;
	qkd_ppk_id_format(chunk_create(id, sizeof(id)), buf);
	buf[QKD_PPK_ID_LEN] = '\0';
	if (strcasecmp(buf, s))
	{
		fprintf(stderr, "PPK_ID \"%s\" parses, formats as \"%s\"\n", s, buf);
		abort();
	}
}

/* An empty strongswan.conf: the settings are the input's. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[] = "/tmp/plugin-fuzz.XXXXXX";
	int fd = mkstemp(conf);

	if (fd < 0 || !library_init(conf, "charon"))
	{
		abort();
	}
	close(fd);
	unlink(conf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	identification_t *remote = NULL;
	settings_t *settings, *orig;
	char *text, *p, *end, *conn, *id, *stream;

	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	end = text + strlen(text);
	ppk_id(line(&p, end));
	conn = line(&p, end);
	id = line(&p, end);
	if (*id)
	{
		remote = identification_create_from_string(id);
	}
	/* settings_t keeps every text it loaded: a new one per input */
	settings = settings_create_string(p);
	if (settings)
	{
		orig = lib->settings;
		lib->settings = settings;
		stream = qkd_streams_select(*conn ? conn : NULL, remote);
		free(stream);
		lib->settings = orig;
		settings->destroy(settings);
	}
	DESTROY_IF(remote);
	free(text);
	return 0;
}
