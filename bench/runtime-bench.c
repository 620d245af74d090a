/* runtime-bench.c - time OCI runtimes starting a container, interleaved, with medians.
 *
 * runtime-bench RUNS BLOCK IDLE_MS NAME CMD [NAME CMD...]
 * Each CMD is split at spaces and executed directly (no shell, whose memory would count in the
 * peak RSS), with the word $ID replaced by a fresh container id and stdout sent to /dev/null. Runs go in blocks of
 * BLOCK per runtime, runtimes taking turns, so that drift on a shared machine hits all alike;
 * IDLE_MS of sleep precede each run. Prints one line per runtime: median, p10, p90 (ms) and the
 * peak RSS (KiB) of the runtime process and what it waited for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One run: returns elapsed ms, or -1 on failure; *rss = peak RSS in KiB. */
static double run_once(const char *cmd, const char *id, long *rss)
{
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		char *copy = strdup(cmd), *argv[64], *save = NULL;
		int n = 0;
		for (char *w = strtok_r(copy, " ", &save); w && n < 63; w = strtok_r(NULL, " ", &save))
			argv[n++] = strcmp(w, "$ID") == 0 ? (char *)id : w;
		argv[n] = NULL;
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	double dt = now_ms() - t0;
	*rss = ru.ru_maxrss;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? dt : -1;
}

int main(int argc, char **argv)
{
	if (argc < 6 || (argc - 4) % 2) {
		fprintf(stderr, "usage: runtime-bench RUNS BLOCK IDLE_MS NAME CMD [NAME CMD...]\n");
		return 2;
	}
	int runs = atoi(argv[1]), block = atoi(argv[2]), idle = atoi(argv[3]);
	int n = (argc - 4) / 2;
	double *t = calloc((size_t)n * runs, sizeof(double));
	long *rss = calloc(n, sizeof(long));
	int *done = calloc(n, sizeof(int));
	unsigned seq = 0;
	while (done[n - 1] < runs) {
		for (int r = 0; r < n; r++) {
			for (int k = 0; k < block && done[r] < runs; k++) {
				char id[64];
				long m = 0;
				snprintf(id, sizeof(id), "bench-%d-%u", (int)getpid(), seq++);
				if (idle)
					usleep(idle * 1000);
				double dt = run_once(argv[5 + 2 * r], id, &m);
				if (dt < 0) {
					fprintf(stderr, "%s failed (id %s)\n", argv[4 + 2 * r], id);
					return 1;
				}
				t[r * runs + done[r]++] = dt;
				if (m > rss[r])
					rss[r] = m;
			}
		}
	}
	for (int r = 0; r < n; r++) {
		double *v = t + r * runs;
		qsort(v, runs, sizeof(double), cmp);
		printf("%s %.2f %.2f %.2f %ld\n", argv[4 + 2 * r], v[runs / 2], v[runs / 10],
		       v[runs * 9 / 10], rss[r]);
	}
	return 0;
}
