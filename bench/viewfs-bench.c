/* viewfs-bench.c - open+read-to-EOF+close latency of files, medians over interleaved blocks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* usage: viewfs-bench N BLOCK FILE... ; prints "FILE median_us" per file */
int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: viewfs-bench N BLOCK FILE...\n");
		return 1;
	}
	int n = atoi(argv[1]), block = atoi(argv[2]), nf = argc - 3;
	double **t = calloc((size_t)nf, sizeof(*t));
	static char buf[1 << 16];
	for (int f = 0; f < nf; f++)
		t[f] = calloc((size_t)n, sizeof(double));
	for (int done = 0; done < n; done += block) {
		for (int f = 0; f < nf; f++) {
			for (int i = done; i < done + block && i < n; i++) {
				double t0 = now_us();
				int fd = open(argv[3 + f], O_RDONLY | O_CLOEXEC);
				if (fd < 0) {
					perror(argv[3 + f]);
					return 1;
				}
				while (read(fd, buf, sizeof(buf)) > 0)
					;
				close(fd);
				t[f][i] = now_us() - t0;
			}
		}
	}
	for (int f = 0; f < nf; f++) {
		qsort(t[f], (size_t)n, sizeof(double), cmp);
		printf("%s %.1f\n", argv[3 + f], t[f][n / 2]);
	}
	return 0;
}
