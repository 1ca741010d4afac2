/* bench_rusage: runs a command and prints its wall seconds and the peak RSS
 * of the process tree's largest member (wait4 rusage), as one JSON line on
 * stderr. The harness uses it to measure songlake and DuckDB the same way. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rusage COMMAND [ARGS...]\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return 2;
    clock_gettime(CLOCK_MONOTONIC, &b);
    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch); /* includes grandchildren that were waited for */
    long maxrss = ru.ru_maxrss > ch.ru_maxrss ? ru.ru_maxrss : ch.ru_maxrss;
    double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    fprintf(stderr,
            "{\"bench_rusage\":{\"wall\":%.4f,\"max_rss_kb\":%ld,\"user\":%.3f,\"sys\":%.3f,"
            "\"status\":%d}}\n",
            wall, maxrss, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
