/* cg-hugetlb.c - touches N MiB of 2 MiB huge pages (MAP_HUGETLB), for the hugetlb effect test: built
 * static, so that it runs in the busybox container (busybox cannot map huge pages). Prints
 * "mapped" before touching and "touched N" after; a fault over the cgroup's hugetlb limit is
 * SIGBUS. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cg-hugetlb MIB\n");
		return 2;
	}
	size_t len = strtoul(argv[1], NULL, 10) << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		       -1, 0);
	if (p == MAP_FAILED) {
		perror("cg-hugetlb: mmap");
		return 1;
	}
	printf("mapped\n");
	fflush(stdout);
	size_t n = 0;
	for (size_t off = 0; off < len; off += 2 << 20, n++)
		p[off] = 1;
	printf("touched %zu\n", n);
	return 0;
}
