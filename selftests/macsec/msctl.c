// SPDX-License-Identifier: GPL-2.0
/*
 * msctl SOCKET REQUEST...: send one request line to qkd-macsecd's operator
 * socket and print the reply. What `qkdctl macsec` does, without qkdctl,
 * and much faster than a script interpreter under TCG.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int fd, i;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: msctl SOCKET REQUEST...\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror(argv[1]);
		return 1;
	}
	buf[0] = '\0';
	for (i = 2; i < argc; i++) {
		strncat(buf, argv[i], sizeof(buf) - strlen(buf) - 2);
		strcat(buf, i + 1 < argc ? " " : "\n");
	}
	if (write(fd, buf, strlen(buf)) < 0) {
		perror("write");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	return n < 0;
}
