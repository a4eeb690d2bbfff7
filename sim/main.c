/* viosim: the command line. Dispatches to one file per command (cmd_*.c),
 * turns library error codes into exit statuses (0 ok, 1 run failed, 2 bad
 * input) and one line on stderr. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const int run_opts[] = {OPT_OUTPUT, OPT_SEED,     OPT_SET,         OPT_VARIANT, OPT_JOBS,        OPT_ENGINE,
                               OPT_QUIET,  OPT_PROGRESS, OPT_NO_PROGRESS, OPT_LOG,     OPT_SENSITIVITY, OPT_HELP, 0};
static const int check_opts[] = {OPT_SEED, OPT_SET, OPT_HELP, 0};
static const int list_opts[] = {OPT_MARKDOWN, OPT_HELP, 0};
static const int sweep_opts[] = {OPT_OUTPUT, OPT_JOBS,      OPT_SEED,     OPT_SET,         OPT_VARIANT, OPT_ENGINE,
                                 OPT_QUIET,  OPT_EMIT_JOBS, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_LOG,     OPT_HELP, 0};
static const int merge_opts[] = {OPT_QUIET, OPT_HELP, 0};
static const int plot_opts[] = {OPT_FORMAT, OPT_QUIET, OPT_HELP, 0};

static const cli_cmd commands[] = {
    {"run", "[SCENARIO] [-o DIR] [--seed=N] [--set=PATH=VALUE]... [--variant=NAME]... [-j N]",
     "Simulate every variant of SCENARIO (default: the embedded scenarios/default.json) on the same arrival "
     "sequence, print a summary and write DIR/results.json (DIR defaults to results/<scenario name>).",
     run_opts, 1, cmd_run},
    {"check", "SCENARIO [--seed=N] [--set=PATH=VALUE]...",
     "Validate SCENARIO and print it on stdout with every default filled in (the canonical JSON, alone); "
     "the verdict goes to stderr.",
     check_opts, 1, cmd_check},
    {"sweep", "SWEEP.json -o DIR [-j N] [--seed=N] [--set=PATH=VALUE]... [--variant=NAME]... [--emit-jobs]",
     "Run a sweep: the base scenario it names, with the parameters it varies (a grid and/or zipped lists, "
     "paths as --set spells them, [*] included), each point replicated with seeds derived from the base seed and "
     "the point. Each run's results.json goes to DIR/points/ID/ atomically; DIR/summary.csv and DIR/summary.json "
     "give, per point and variant, the mean and the 95 % confidence interval (Student t) of each headline metric. "
     "Rerunning the same command computes only what is missing. With --emit-jobs nothing is simulated: "
     "DIR/jobs.txt (one command per run, for GNU parallel) and DIR/slurm.sh (a Slurm job array) are written "
     "instead; `viosim merge DIR` then builds the summaries.",
     sweep_opts, 1, cmd_sweep},
    {"merge", "DIR",
     "Build DIR/summary.csv and DIR/summary.json from whatever runs of the sweep in DIR have finished; list the "
     "missing ones on stdout (exit status 1 when any is missing).",
     merge_opts, 1, cmd_merge},
    {"plot", "DIR [--format=png|svg|both]",
     "Draw the figures of a run (DIR/results.json: latency CDF per variant, where guest reads were served, drops "
     "by site, blocked transactions and cross-tenant bytes per tenant) or of a sweep (DIR/summary.json: each "
     "headline metric against the first swept parameter, a curve per variant, 95 % CI error bars) with gnuplot, "
     "into DIR/plots/ as PNG and SVG beside the CSV each was drawn from. The scripts are plots/*.gp; a figure "
     "with nothing to show is not drawn. Prints the files written.",
     plot_opts, 1, cmd_plot},
    {"list", "[--markdown]", "Print the delivery strategies and every scenario parameter.", list_opts, 0, cmd_list},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

const cli_cmd *cli_commands(void) { return commands; }

static const char usage[] =
    "usage: viosim COMMAND [OPTION]... [ARG]...\n"
    "       viosim --help | --version\n"
    "\n"
    "commands:\n";

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("viosim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_exit_for(int rc) { return rc == VIO_EINVAL || rc == VIO_EIO ? EXIT_BAD_INPUT : EXIT_RUN_FAILED; }

int cli_load(const char *scenario, const char *const *sets, size_t nsets, vio_scenario **s, vio_err *err)
{
    if (scenario)
        return vio_scenario_load_file(scenario, sets, nsets, s, err);
    return vio_scenario_load_string(vio_default_scenario_json(), "<default>", sets, nsets, s, err);
}

int cli_mkdirs(const char *dir, char *msg, size_t len)
{
    char path[1024];
    if (strlen(dir) >= sizeof path) {
        snprintf(msg, len, "%.64s...: directory name longer than 1023 bytes", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1;; p++) {
        int end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(msg, len, "%.1023s: cannot create directory: %s", path, strerror(errno));
            return -1;
        }
        if (end)
            break;
        *p = '/';
    }
    return 0;
}

static void print_usage(FILE *out)
{
    fputs(usage, out);
    for (const cli_cmd *c = commands; c->name; c++)
        fprintf(out, "  viosim %s %s\n", c->name, c->synopsis);
    fputs("\n`viosim COMMAND --help` describes a command and its options.\n"
          "exit status: 0 ok, 1 the run failed, 2 bad input\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_fail(EXIT_BAD_INPUT, "no command (see viosim --help)");
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version")) {
        printf("viosim %s (%s)\n", vio_version(), vio_git_version());
        return 0;
    }
    if (!strcmp(name, "--man")) { /* the build generates viosim.1 with this */
        cli_print_man(stdout);
        return 0;
    }
    const cli_cmd *cmd = commands;
    while (cmd->name && strcmp(cmd->name, name))
        cmd++;
    if (!cmd->name)
        return cli_fail(EXIT_BAD_INPUT, "unknown command %s (see viosim --help)", name);
    cli_opts o = {0};
    char msg[600];
    int status;
    if (cli_parse(cmd, argc, argv, 2, &o, msg, sizeof msg) != 0)
        status = cli_fail(EXIT_BAD_INPUT, "%s", msg);
    else if (o.help) {
        cli_print_help(stdout, cmd);
        status = 0;
    } else
        status = cmd->run(&o);
    cli_opts_free(&o);
    return status;
}
