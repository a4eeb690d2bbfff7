/* The command line's shared parts: one declarative option table (name, argument,
 * help) that every command picks its options from, so `viosim CMD --help`
 * prints itself and parsing is getopt_long's, the convention users know.
 * Exit statuses: 0 ok, 1 the run failed, 2 bad input, and one line on stderr. */
#ifndef VIOSIM_SIM_CLI_H
#define VIOSIM_SIM_CLI_H

#include "viosim/run.h"
#include "viosim/scenario.h"
#include "viosim/viosim.h"

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT 2

/* Option identifiers: a short option's character, or a number above 255. */
enum cli_opt_id {
    OPT_OUTPUT = 'o',
    OPT_JOBS = 'j',
    OPT_QUIET = 'q',
    OPT_HELP = 'h',
    OPT_SEED = 256,
    OPT_SET,
    OPT_VARIANT,
    OPT_ENGINE,
    OPT_LOG,
    OPT_MARKDOWN,
    OPT_EMIT_JOBS,
    OPT_REPLAY,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_FORMAT,
    OPT_SENSITIVITY,
    OPT_MAX_MEMORY,
};

/* Everything any command's options can set. */
typedef struct cli_opts {
    const char *positional[4]; /* SCENARIO, SWEEP or DIR */
    size_t npositional;
    const char *outdir, *engine, *replay, *format;
    const char **variants;
    size_t nvariants;
    const char **sets; /* "path=value", --seed included as "seed=N" */
    size_t nsets;
    char seed_set[64];
    unsigned jobs;
    double sensitivity; /* > 1: run --sensitivity with this factor instead of a plain run */
    unsigned long long max_memory; /* bytes; 0: CLI_DEFAULT_MAX_MEMORY */
    int quiet, log, markdown, emit_jobs, help;
    int progress; /* 1 forced on, -1 forced off, 0 automatic (stderr is a terminal) */
} cli_opts;

/* One command: its name, synopsis, what it does, and the options it takes
 * (a list of cli_opt_id ending in 0). */
typedef struct cli_cmd {
    const char *name;
    const char *synopsis;
    const char *about;
    const int *opts;
    size_t max_positional;
    int (*run)(cli_opts *o);
} cli_cmd;

const cli_cmd *cli_commands(void);

/* Parse argv[first..] for `cmd`; 0, or -1 with a message in msg. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, int first, cli_opts *o, char *msg, size_t len);
void cli_opts_free(cli_opts *o);
/* `viosim CMD --help` */
void cli_print_help(FILE *out, const cli_cmd *cmd);
/* The man page (roff) generated from the same tables. */
void cli_print_man(FILE *out);

/* --max-memory when not given: 4 GiB, a sixth of the 24 GiB machines the project runs on. */
#define CLI_DEFAULT_MAX_MEMORY (4ull << 30)

/* SIGINT, SIGTERM, SIGHUP: forwarded to the variant children (vio_run_interrupt)
 * and to the processes registered here (sweep workers); 128 + the signal once
 * a command stopped on one, else 0. Registration is done with the signals
 * blocked (cli_signals_block), so no child escapes forwarding. */
void cli_signals_install(void);
void cli_signals_block(int block);
void cli_track(pid_t pid, int on);
int cli_interrupted_status(void);
/* Refuse (exit 2) a run whose memory estimate for these variants, `jobs` at a
 * time, exceeds --max-memory; 0 when it fits. */
int cli_check_memory(const vio_scenario *s, const uint32_t *only, uint32_t nonly, unsigned jobs,
                     const cli_opts *o);

/* "viosim: MSG" on stderr; returns code. */
int cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The exit status for a library error code. */
int cli_exit_for(int rc);
/* mkdir -p; 0 or -1 with a message. */
int cli_mkdirs(const char *dir, char *msg, size_t len);
/* Load SCENARIO (or the embedded default when NULL) with extra sets. */
int cli_load(const char *scenario, const char *const *sets, size_t nsets, vio_scenario **s, vio_err *err);

/* vio_run of the variants `only` (every one when nonly is 0) with the progress
 * display the options ask for (cmd_run.c). */
int cli_run_variants(const cli_opts *o, const vio_scenario *s, const uint32_t *only, uint32_t nonly,
                     vio_run_opts *opts, json_t **doc, vio_run_perf *perf, vio_err *err);
/* Write `doc` to DIR/results.json with the signals held, so an interrupt never
 * leaves half a file; VIO_OK, VIO_EINTR or the write's error (cmd_run.c). */
int cli_write_results(const json_t *doc, const char *dir, char *path, size_t len, vio_err *err);

/* The commands. */
int cmd_run(cli_opts *o);
int cmd_replay(cli_opts *o); /* run --replay */
int cmd_check(cli_opts *o);
int cmd_list(cli_opts *o);
int cmd_sweep(cli_opts *o);
int cmd_merge(cli_opts *o);
int cmd_plot(cli_opts *o);

#endif
