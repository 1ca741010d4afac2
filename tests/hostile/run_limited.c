/* run_limited: runs a command under a memory limit and a deadline and says
 * how it went, for the hostile-input tests (tests/hostile/, the .mjs files).
 *
 *   run_limited MEM_MB DEADLINE_S cmd args...
 *
 * The child gets RLIMIT_DATA = MEM_MB (heap and private mappings; not
 * RLIMIT_AS, which sanitizer builds exceed by reserving shadow memory) and is
 * killed (SIGKILL, its whole process group) at the deadline. Prints one JSON
 * line on stdout: {"status": N (-1: killed), "signal": N (0: none), "timed_out": bool,
 * "maxrss_kb": N, "elapsed_s": X}, peak RSS from wait4's rusage of that
 * child alone. The child's stdout/stderr pass through (stdout to stderr, so
 * the JSON line stays alone on stdout). Exit status 0 unless the command
 * could not be started. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: run_limited MEM_MB DEADLINE_S cmd args...\n");
        return 2;
    }
    unsigned long long mem_mb = strtoull(argv[1], NULL, 10);
    double deadline = strtod(argv[2], NULL);
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
        setpgid(0, 0);
        if (mem_mb) {
            struct rlimit rl = {mem_mb << 20, mem_mb << 20};
            setrlimit(RLIMIT_DATA, &rl);
        }
        dup2(2, 1);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "run_limited: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    int st = 0;
    struct rusage ru;
    bool timed_out = false;
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) return perror("wait4"), 1;
        if (!timed_out && now() - t0 > deadline) {
            timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        usleep(10000);
    }
    double el = now() - t0;
    printf("{\"status\": %d, \"signal\": %d, \"timed_out\": %s, \"maxrss_kb\": %ld, "
           "\"elapsed_s\": %.3f}\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
           timed_out ? "true" : "false", ru.ru_maxrss, el);
    return 0;
}
