/* viosim: the command line. Dispatches to one file per command (cmd_*.c),
 * turns library error codes into exit statuses (0 ok, 1 run failed, 2 bad
 * input) and one line on stderr. */
#include "cli.h"

#include "viosim/estimate.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const int run_opts[] = {OPT_OUTPUT,      OPT_SEED,    OPT_SET,      OPT_VARIANT,     OPT_JOBS,
                               OPT_ENGINE,      OPT_QUIET,   OPT_PROGRESS, OPT_NO_PROGRESS, OPT_LOG,
                               OPT_SENSITIVITY, OPT_REPLAY,  OPT_MAX_MEMORY, OPT_HELP,      0};
static const int check_opts[] = {OPT_SEED, OPT_SET, OPT_VARIANT, OPT_HELP, 0};
static const int list_opts[] = {OPT_MARKDOWN, OPT_HELP, 0};
static const int sweep_opts[] = {OPT_OUTPUT, OPT_JOBS,      OPT_SEED,     OPT_SET,         OPT_VARIANT, OPT_ENGINE,
                                 OPT_QUIET,  OPT_EMIT_JOBS, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_LOG,     OPT_MAX_MEMORY,
                                 OPT_HELP,   0};
static const int merge_opts[] = {OPT_QUIET, OPT_HELP, 0};
static const int plot_opts[] = {OPT_FORMAT, OPT_QUIET, OPT_HELP, 0};

static const cli_cmd commands[] = {
    {"run", "[SCENARIO] [-o DIR] [--seed=N] [--set=PATH=VALUE]... [--variant=NAME]... [-j N] | --replay=RESULTS",
     "Simulate every variant of SCENARIO (default: the embedded scenarios/default.json) on the same arrival "
     "sequence, print a summary and write DIR/results.json (DIR defaults to results/<scenario name>). Progress "
     "(variants done, and each running variant's packets and simulated time) goes to stderr: a bar on a terminal "
     "after a second, a plain line every 10 s otherwise. With --replay=RESULTS, rerun the resolved scenario, seed "
     "and variants a results.json recorded, on the engine it names (or --engine), and exit 0 if every field is "
     "identical, 1 naming the first field that differs (JSON path, expected, got); with -o DIR the rerun's "
     "results.json is written there.",
     run_opts, 1, cmd_run},
    {"check", "SCENARIO [--seed=N] [--set=PATH=VALUE]... [--variant=NAME]...",
     "Validate SCENARIO and print it on stdout with every default filled in (the canonical JSON, alone); "
     "the verdict goes to stderr, with each variant's estimated memory, events and simulated time.",
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
        /* An existing file in the way fails now, before minutes of runs, not at the first write. */
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(msg, len, "%.1023s: cannot create directory: %.1023s is not a directory", dir, path);
            return -1;
        }
        if (end)
            break;
        *p = '/';
    }
    return 0;
}

/* ---- signals ---- */

static volatile sig_atomic_t stop_signal;
static volatile pid_t tracked[256];

static void on_signal(int sig)
{
    int saved = errno;
    stop_signal = sig;
    vio_run_interrupt(sig);
    for (unsigned i = 0; i < 256; i++)
        if (tracked[i] > 0)
            kill(tracked[i], sig);
    errno = saved;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void cli_signals_block(int block)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void cli_track(pid_t pid, int on)
{
    for (unsigned i = 0; i < 256; i++)
        if (on ? tracked[i] == 0 : tracked[i] == pid) {
            tracked[i] = on ? pid : 0;
            return;
        }
}

int cli_interrupted_status(void) { return stop_signal ? 128 + stop_signal : 0; }

/* ---- resource estimates ---- */

/* "512.00 GiB", "23.7 MiB" */
static const char *size_text(char *buf, size_t len, unsigned long long b)
{
    if (b >= (1ull << 30))
        snprintf(buf, len, "%.2f GiB", (double)b / (double)(1ull << 30));
    else
        snprintf(buf, len, "%.1f MiB", (double)b / (double)(1ull << 20));
    return buf;
}

int cli_check_memory(const vio_scenario *s, const uint32_t *only, uint32_t nonly, unsigned jobs,
                     const cli_opts *o)
{
    unsigned long long limit = o->max_memory ? o->max_memory : CLI_DEFAULT_MAX_MEMORY;
    uint32_t n = nonly ? nonly : s->nvariants;
    unsigned long long sizes[VIO_MAX_VARIANTS] = {0}, total = 0;
    vio_estimate e, big = {0};
    for (uint32_t i = 0; i < n && i < VIO_MAX_VARIANTS; i++) {
        vio_estimate_variant(s, nonly ? only[i] : i, &e);
        sizes[i] = e.bytes;
        if (e.bytes > big.bytes)
            big = e;
    }
    /* The `jobs` largest may run at once. */
    for (unsigned k = 0; k < (jobs ? jobs : 1) && k < n; k++) {
        uint32_t best = 0;
        for (uint32_t i = 1; i < n; i++)
            if (sizes[i] > sizes[best])
                best = i;
        total += sizes[best];
        sizes[best] = 0;
    }
    if (total <= limit)
        return 0;
    char a[32], b[32], c[32];
    return cli_fail(EXIT_BAD_INPUT,
                    "%s: estimated peak memory %s (%u variant%s, up to %u at once) exceeds --max-memory %s; largest "
                    "contributor %s: %s for %s",
                    s->source, size_text(a, sizeof a, total), n, n == 1 ? "" : "s", jobs ? jobs : 1,
                    size_text(b, sizeof b, limit), big.largest, size_text(c, sizeof c, big.largest_bytes), big.why);
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
    } else {
        cli_signals_install();
        status = cmd->run(&o);
        /* Stopped by a signal: the status says so, whatever the command made of it. */
        if (cli_interrupted_status())
            status = cli_interrupted_status();
    }
    cli_opts_free(&o);
    return status;
}
