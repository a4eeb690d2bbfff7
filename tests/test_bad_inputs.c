/* The catalogue of bad inputs (tests/bad-inputs/): one scenario file per class
 * of mistake, NAME.json, with the exact line `viosim check` must print on
 * stderr in NAME.expect, and optional extra arguments (one per line, raw bytes)
 * in NAME.args. Each is run from the source directory as
 * `viosim check tests/bad-inputs/NAME.json ARGS...` and must exit 2 with that
 * one line and nothing on stdout. The same files seed the fuzzers. */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR_REL "tests/bad-inputs"
#define MAX_CLASSES 256

static char *names[MAX_CLASSES];
static int nnames;

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_classes(void)
{
    DIR *d = opendir(VIOSIM_SOURCE_DIR "/" DIR_REL);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) && nnames < MAX_CLASSES;) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
            names[nnames] = strdup(e->d_name);
            names[nnames++][n - 5] = '\0';
        }
    }
    closedir(d);
    qsort(names, (size_t)nnames, sizeof *names, cmp);
}

static char *slurp(const char *name, const char *ext)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s%s", VIOSIM_SOURCE_DIR, DIR_REL, name, ext);
    return vio_test_read_file(path);
}

START_TEST(test_class)
{
    const char *name = names[_i];
    char *expect = slurp(name, ".expect");
    ck_assert_msg(expect != NULL, "%s.json has no %s.expect", name, name);
    char *args_text = slurp(name, ".args");
    char file[512];
    snprintf(file, sizeof file, "%s/%s.json", DIR_REL, name);
    const char *argv[16] = {VIOSIM_BINARY, "check", file};
    int argc = 3;
    for (char *p = args_text; p && *p && argc < 15;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        argv[argc++] = p;
        p = nl ? nl + 1 : p + strlen(p);
    }
    argv[argc] = NULL;
    char out[] = "/tmp/viosim-bad-out-XXXXXX", err[] = "/tmp/viosim-bad-err-XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    ck_assert(fo >= 0 && fe >= 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int fi = open("/dev/null", O_RDONLY);
        if (fi < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 || chdir(VIOSIM_SOURCE_DIR) != 0)
            _exit(127);
        execv(VIOSIM_BINARY, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert(errno == EINTR);
    close(fo);
    close(fe);
    char *o = vio_test_read_file(out), *e = vio_test_read_file(err);
    unlink(out);
    unlink(err);
    ck_assert_msg(WIFEXITED(status), "%s: viosim killed by signal %d", name, WTERMSIG(status));
    ck_assert_msg(WEXITSTATUS(status) == 2, "%s: exit %d (expected 2), stderr: %s", name, WEXITSTATUS(status), e);
    ck_assert_msg(o[0] == '\0', "%s: stdout on bad input: %.200s", name, o);
    ck_assert_msg(!strcmp(e, expect), "%s: stderr\n  %s differs from %s.expect\n  %s", name, e, name, expect);
    free(o);
    free(e);
    free(expect);
    free(args_text);
}
END_TEST

/* The catalogue is the documented list of classes: it must not quietly shrink. */
START_TEST(test_catalogue_size)
{
    ck_assert_int_ge(nnames, 60);
}
END_TEST

int main(void)
{
    list_classes();
    Suite *s = suite_create("bad_inputs");
    TCase *tc = tcase_create("bad_inputs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_catalogue_size);
    tcase_add_loop_test(tc, test_class, 0, nnames);
    suite_add_tcase(s, tc);
    int rc = vio_test_run_suite(s);
    for (int i = 0; i < nnames; i++)
        free(names[i]);
    return rc;
}
