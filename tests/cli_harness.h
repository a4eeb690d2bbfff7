/* Running the real `viosim` binary from a libcheck test, as a user meets it:
 * in a fresh temporary directory per test (a checked fixture), judged by its
 * exit status, its stdout and stderr, and the files it leaves behind. */
#ifndef VIOSIM_TESTS_CLI_HARNESS_H
#define VIOSIM_TESTS_CLI_HARNESS_H

#include <check.h>
#include <jansson.h>

/* The test's directory (set by tmp_setup). */
extern char cli_tmp[512];
/* Where viosim runs; NULL: the test's directory. */
extern const char *cli_cwd;

void tmp_setup(void);
/* A failed test leaves its directory behind on purpose: the evidence. */
void tmp_teardown(void);
void rm_rf(const char *path);
/* `name` inside the test's directory, in a static rotating buffer (8 deep). */
const char *in_tmp(const char *name);
void write_file(const char *path, const char *text);
/* The entries of `dir` (without . and ..), space-separated; "" when empty or absent. malloc'd. */
char *list_dir(const char *dir);

typedef struct cli_result {
    int status; /* exit status; the test fails if the process was killed */
    char *out, *err;
} cli_result;

void cli_free(cli_result *r);
/* Run viosim with `args` (NULL-terminated) in cli_cwd, stdin from /dev/null,
 * the environment passed through (the sanitizer run sets VIOSIM_CONTEXTS). */
cli_result cli_argv(const char *const *args);
#define cli(...) cli_argv((const char *const[]){__VA_ARGS__, NULL})
/* A successful run: status 0, nothing on stderr. */
void run_ok_argv(const char *const *args);
#define run_ok(...) run_ok_argv((const char *const[]){__VA_ARGS__, NULL})
/* The one-line failure contract: exactly one line, "viosim: " first. */
void assert_one_line(const cli_result *r);
json_t *load_json(const char *path);
void assert_same_bytes(const char *a, const char *b);

#endif
