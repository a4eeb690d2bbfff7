/* The fuzzers' inputs replayed without libFuzzer (built by gcc in every build,
 * run by ctest): every file of every directory given, through the same
 * LLVMFuzzerTestOneInput, each under a wall-clock limit so a hang fails the
 * test instead of stalling CI.
 * usage: fuzz_*_replay [-timeout=SECONDS] DIR_OR_FILE... */
#include "fuzz_input.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *current;
static unsigned timeout_s = 20;

static void on_alarm(int sig)
{
    (void)sig;
    /* Only async-signal-safe calls: write(2), then _exit. */
    static const char head[] = "fuzz replay: hang (time limit exceeded) on ";
    ssize_t r = write(2, head, sizeof head - 1);
    r = write(2, current, strlen(current));
    r = write(2, "\n", 1);
    (void)r;
    _exit(1);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz replay: cannot read %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    for (size_t n; buf && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    current = path;
    alarm(timeout_s);
    LLVMFuzzerTestOneInput(buf, len);
    alarm(0);
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Files of a directory in name order, so a failure reproduces the same way. */
static int replay_dir(const char *dir, long *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz replay: cannot open %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                abort();
            names = nn;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n])
            abort();
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= replay_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGALRM, on_alarm);
    long count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (!strncmp(argv[i], "-timeout=", 9)) {
            timeout_s = (unsigned)atoi(argv[i] + 9);
        } else if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc |= replay_dir(argv[i], &count);
        } else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    printf("fuzz replay: %ld inputs, every one within the contract\n", count);
    return rc ? 1 : 0;
}
