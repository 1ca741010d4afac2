/* bench_rusage: runs a command and prints its wall seconds and the peak RSS
 * of the process tree's largest member (wait4 rusage), as one JSON line on
 * stderr. The harness uses it to measure songlake and DuckDB the same way.
 * "machine_cpu" is the busy time of all CPUs over the run (/proc/stat):
 * unlike user+sys it includes the kernel threads working for the command,
 * such as the flusher writing its files back during a sync. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* seconds all CPUs spent not idle since boot; -1 when /proc/stat is unreadable */
static double machine_busy(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    /* user nice system [idle iowait] irq softirq steal (guest, counted in
     * user, follows) */
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 8) return -1;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rusage COMMAND [ARGS...]\n");
        return 2;
    }
    struct timespec a, b;
    double busy0 = machine_busy();
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
    double busy1 = machine_busy();
    double machine = busy0 >= 0 && busy1 >= busy0 ? busy1 - busy0 : -1;
    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch); /* includes grandchildren that were waited for */
    long maxrss = ru.ru_maxrss > ch.ru_maxrss ? ru.ru_maxrss : ch.ru_maxrss;
    double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    fprintf(stderr,
            "{\"bench_rusage\":{\"wall\":%.4f,\"max_rss_kb\":%ld,\"user\":%.3f,\"sys\":%.3f,"
            "\"machine_cpu\":%.2f,\"status\":%d}}\n",
            wall, maxrss, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6, machine,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
