/* reader.c - read FILE in a tight loop until STOPFILE exists; count failed or wrong reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* usage: cellfs-test-reader FILE STOPFILE EXPECT ; prints "reads=N errors=M" */
int main(int argc, char **argv)
{
	static char buf[1 << 16];
	unsigned long reads = 0, errors = 0;
	if (argc != 4) {
		fprintf(stderr, "usage: cellfs-test-reader FILE STOPFILE EXPECT\n");
		return 2;
	}
	while (access(argv[2], F_OK) != 0) {
		int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		size_t len = 0;
		ssize_t n = 0;
		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
			errors++;
			continue;
		}
		while (len < sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		buf[len] = '\0';
		if (n < 0) {
			fprintf(stderr, "read %s: %s\n", argv[1], strerror(errno));
			errors++;
		} else if (!strstr(buf, argv[3])) {
			fprintf(stderr, "read %s: no '%s' in %zu bytes\n", argv[1], argv[3], len);
			errors++;
		}
		close(fd);
		reads++;
	}
	printf("reads=%lu errors=%lu\n", reads, errors);
	return 0;
}
