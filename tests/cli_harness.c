/* Running the real `viosim` binary from a test: a fresh temporary directory
 * per test, the exit status, stdout and stderr captured (see cli_harness.h). */
#include "cli_harness.h"

#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- one temporary directory per test (checked fixture: runs in the test's process) ---- */

char cli_tmp[512];

void tmp_setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(cli_tmp, sizeof cli_tmp, "%s/viosim-cli-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(cli_tmp) != NULL, "mkdtemp %s: %s", cli_tmp, strerror(errno));
}

void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A failed test leaves its directory behind on purpose: the evidence. */
void tmp_teardown(void) { rm_rf(cli_tmp); }

/* `name` inside the test's directory, in a static rotating buffer. */
const char *in_tmp(const char *name)
{
    static char bufs[8][1024];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", cli_tmp, name);
    return b;
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert(fwrite(text, 1, strlen(text), f) == strlen(text));
    ck_assert(fclose(f) == 0);
}

/* The entries of `dir` (without . and ..), space-separated; "" when empty or absent. */
char *list_dir(const char *dir)
{
    size_t cap = 4096, len = 0;
    char *out = calloc(cap, 1);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%s%s", len ? " " : "", e->d_name);
    }
    if (d)
        closedir(d);
    return out;
}

/* ---- running the binary ---- */

void cli_free(cli_result *r)
{
    free(r->out);
    free(r->err);
}

/* Where viosim runs; NULL: the test's directory. */
const char *cli_cwd;

/* Run viosim with `args` (NULL-terminated) in cli_cwd, the environment passed
 * through (the sanitizer run sets VIOSIM_CONTEXTS). */
cli_result cli_argv(const char *const *args)
{
    const char *cwd = cli_cwd ? cli_cwd : cli_tmp;
    const char *argv[64] = {VIOSIM_BINARY};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        ck_assert(n < 63);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    /* Captures live beside the -o directories, never inside them. */
    char out_path[1024], err_path[1024];
    snprintf(out_path, sizeof out_path, "%s/.stdout", cli_tmp);
    snprintf(err_path, sizeof err_path, "%s/.stderr", cli_tmp);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 || chdir(cwd) != 0)
            _exit(127);
        execve(VIOSIM_BINARY, (char *const *)argv, environ);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));
    cli_result r = {.out = vio_test_read_file(out_path), .err = vio_test_read_file(err_path)};
    ck_assert_msg(r.out && r.err, "cannot read the captured output");
    ck_assert_msg(WIFEXITED(status), "viosim was killed by signal %d; stderr:\n%s", WTERMSIG(status), r.err);
    r.status = WEXITSTATUS(status);
    ck_assert_msg(r.status != 127, "cannot execute %s", VIOSIM_BINARY);
    return r;
}

/* A successful run: status 0, nothing on stderr. */
void run_ok_argv(const char *const *args)
{
    cli_result r = cli_argv(args);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert_msg(r.err[0] == '\0', "stderr on success: %s", r.err);
    cli_free(&r);
}

/* The one-line failure contract: exactly one line, "viosim: " first. */
void assert_one_line(const cli_result *r)
{
    size_t n = strlen(r->err);
    ck_assert_msg(!strncmp(r->err, "viosim: ", 8), "stderr does not start with \"viosim: \": %s", r->err);
    ck_assert_msg(n > 8 && r->err[n - 1] == '\n' && strchr(r->err, '\n') == r->err + n - 1,
                  "stderr is not exactly one line: %s", r->err);
}

json_t *load_json(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    ck_assert_msg(doc != NULL, "%s:%d: %s", path, e.line, e.text);
    return doc;
}

void assert_same_bytes(const char *a, const char *b)
{
    char *ta = vio_test_read_file(a), *tb = vio_test_read_file(b);
    ck_assert_msg(ta && tb, "cannot read %s or %s", a, b);
    ck_assert_msg(!strcmp(ta, tb), "%s and %s differ", a, b);
    free(ta);
    free(tb);
}

