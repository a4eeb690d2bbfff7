/* Option parsing: one table row per option; each command lists the rows it takes.
 * getopt_long does the parsing (permutation, --opt=value, -j4, "--" ends options);
 * this file turns its answers into cli_opts and one-line messages. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct opt_def {
    int id;
    const char *name;  /* long name */
    const char *arg;   /* metavariable, NULL for a flag */
    const char *help;
} opt_def;

static const opt_def defs[] = {
    {OPT_OUTPUT, "output", "DIR", "directory for the results (created if missing)"},
    {OPT_JOBS, "jobs", "N", "simulations run in parallel, 1..256 (results do not change)"},
    {OPT_SEED, "seed", "N", "override the scenario's seed (a sweep's base seed)"},
    {OPT_SET, "set", "PATH=VALUE",
     "override one parameter, e.g. --set vms[0].core=3; [*] sets every entry: --set traffic.flows[*].size=64"},
    {OPT_VARIANT, "variant", "NAME", "run only this variant; repeat it to run several"},
    {OPT_ENGINE, "engine", "E", "simgrid (default) or sequential (the exact reference loop)"},
    {OPT_QUIET, "quiet", NULL, "nothing on stdout, no progress on stderr"},
    {OPT_LOG, "log", NULL, "let SimGrid log to stderr"},
    {OPT_MARKDOWN, "markdown", NULL, "print the parameter table as Markdown (docs/scenario-reference.md)"},
    {OPT_EMIT_JOBS, "emit-jobs", NULL,
     "do not simulate: write DIR/jobs.txt (GNU parallel) and DIR/slurm.sh (Slurm array) instead"},
    {OPT_REPLAY, "replay", "RESULTS", "rerun the scenario recorded in RESULTS (a results.json) and compare"},
    {OPT_PROGRESS, "progress", NULL, "show progress on stderr even when it is not a terminal"},
    {OPT_NO_PROGRESS, "no-progress", NULL, "never show progress"},
    {OPT_FORMAT, "format", "F", "figure format: png, svg or both (default both)"},
    {OPT_SENSITIVITY, "sensitivity", "F",
     "vary every cost marked estimate by /F and xF, one at a time, and report how each variant's difference "
     "from the first moves: DIR/sensitivity.{json,md}, DIR/tornado.{dat,gp}"},
    {OPT_MAX_MEMORY, "max-memory", "SIZE",
     "refuse a run whose estimated memory exceeds SIZE (bytes, or with K, M, G, T; default 4G)"},
    {OPT_HELP, "help", NULL, "print this help and exit"},
    {0, NULL, NULL, NULL},
};

static const opt_def *def_of(int id)
{
    for (const opt_def *d = defs; d->name; d++)
        if (d->id == id)
            return d;
    return NULL;
}

/* "-o, --output=DIR" */
static void opt_spelling(const opt_def *d, char *buf, size_t len)
{
    int n = d->id < 256 ? snprintf(buf, len, "-%c, --%s", d->id, d->name) : snprintf(buf, len, "    --%s", d->name);
    if (d->arg && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "=%s", d->arg);
}

/* `text` wrapped at 100 columns, continuation lines indented by `indent`;
 * the first starts at column `col`. */
static void wrap(FILE *out, const char *text, int indent, int col)
{
    int at_start = col == 0;
    while (*text) {
        size_t w = strcspn(text, " ");
        if (!at_start && col + 1 + (int)w > 100) {
            fputc('\n', out);
            at_start = 1;
        }
        if (at_start)
            col = fprintf(out, "%*s", indent, "");
        else
            col += fprintf(out, " ");
        at_start = 0;
        col += fprintf(out, "%.*s", (int)w, text);
        text += w;
        while (*text == ' ')
            text++;
    }
    fputc('\n', out);
}

void cli_print_help(FILE *out, const cli_cmd *cmd)
{
    fprintf(out, "usage: viosim %s %s\n\n", cmd->name, cmd->synopsis);
    wrap(out, cmd->about, 0, 0);
    fputs("\noptions:\n", out);
    for (const int *id = cmd->opts; *id; id++) {
        const opt_def *d = def_of(*id);
        char sp[64];
        opt_spelling(d, sp, sizeof sp);
        wrap(out, d->help, 29, fprintf(out, "  %-26s", sp));
    }
    fputs("\nexit status: 0 ok, 1 the run failed, 2 bad input (one line on stderr)\n", out);
}

/* roff needs its hyphens and backslashes escaped. */
static void roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void cli_print_man(FILE *out)
{
    fprintf(out, ".TH VIOSIM 1 \"\" \"viosim %s\" \"User Commands\"\n", vio_version());
    fputs(".SH NAME\nviosim \\- simulate packet delivery to virtual machines and PASID\\-tagged I/O\n", out);
    fputs(".SH SYNOPSIS\n", out);
    for (const cli_cmd *c = cli_commands(); c->name; c++) {
        fprintf(out, ".B viosim %s\n", c->name);
        roff(out, c->synopsis);
        fputs("\n.br\n", out);
    }
    fputs(".SH DESCRIPTION\nviosim simulates one virtualized server (caches, LLC, DDIO, DRAM, a PCIe NIC, "
          "host workers and guests) and compares packet\\-delivery strategies on the same arrival sequence. "
          "Same scenario and seed give byte\\-identical results.\n",
          out);
    fputs(".SH COMMANDS\n", out);
    for (const cli_cmd *c = cli_commands(); c->name; c++) {
        fprintf(out, ".SS %s\n", c->name);
        roff(out, c->about);
        fputs("\n", out);
        for (const int *id = c->opts; *id; id++) {
            const opt_def *d = def_of(*id);
            char sp[64];
            opt_spelling(d, sp, sizeof sp);
            fputs(".TP\n.B ", out);
            roff(out, sp + (sp[0] == ' ' ? 4 : 0));
            fputs("\n", out);
            roff(out, d->help);
            fputs("\n", out);
        }
    }
    fputs(".SH EXIT STATUS\n0 ok, 1 the run failed, 2 bad input; errors are one line on stderr naming the file, "
          "the JSON path and what was expected.\n",
          out);
    fputs(".SH FILES\nresults.json (schema viosim\\-results/1); a sweep's DIR/points/, DIR/summary.csv, "
          "DIR/summary.json, DIR/jobs.txt, DIR/slurm.sh.\n",
          out);
    fputs(".SH SEE ALSO\nparallel(1), sbatch(1), gnuplot(1). The scenario reference: "
          "docs/scenario\\-reference.md, or viosim list.\n",
          out);
}

static int parse_uint(const char *val, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 10);
    if (errno || *end || !*val || val[0] == '-' || val[0] == '+' || val[0] == ' ')
        return -1;
    *out = v;
    return 0;
}

/* The option as the user spelled it, for messages ("--seed", "-j"). */
static const char *spelled(int id, int is_long)
{
    static char buf[64];
    const opt_def *d = def_of(id);
    if (!d)
        return "?";
    if (is_long || id >= 256)
        snprintf(buf, sizeof buf, "--%s", d->name);
    else
        snprintf(buf, sizeof buf, "-%c", id);
    return buf;
}

static int take(cli_opts *o, int id, const char *val, int is_long, char *msg, size_t len)
{
    unsigned long long u;
    switch (id) {
    case OPT_OUTPUT:
        o->outdir = val;
        break;
    case OPT_JOBS:
        if (parse_uint(val, &u) || u < 1 || u > 256) {
            snprintf(msg, len, "%s %s: expected a number of jobs in 1..256", spelled(id, is_long), val);
            return -1;
        }
        o->jobs = (unsigned)u;
        break;
    case OPT_SEED:
        if (parse_uint(val, &u) || u > 9223372036854775807ull) {
            char esc[128];
            snprintf(msg, len, "--seed %s: expected an integer in 0..9223372036854775807",
                     vio_escape(esc, sizeof esc, val, strlen(val)));
            return -1;
        }
        snprintf(o->seed_set, sizeof o->seed_set, "seed=%llu", u);
        o->sets[o->nsets++] = o->seed_set;
        break;
    case OPT_SET:
        o->sets[o->nsets++] = val;
        break;
    case OPT_VARIANT:
        o->variants[o->nvariants++] = val;
        break;
    case OPT_ENGINE:
        if (strcmp(val, "simgrid") && strcmp(val, "sequential")) {
            snprintf(msg, len, "--engine %s: expected simgrid or sequential", val);
            return -1;
        }
        o->engine = val;
        break;
    case OPT_QUIET:
        o->quiet = 1;
        break;
    case OPT_LOG:
        o->log = 1;
        break;
    case OPT_MARKDOWN:
        o->markdown = 1;
        break;
    case OPT_EMIT_JOBS:
        o->emit_jobs = 1;
        break;
    case OPT_REPLAY:
        o->replay = val;
        break;
    case OPT_PROGRESS:
        o->progress = 1;
        break;
    case OPT_NO_PROGRESS:
        o->progress = -1;
        break;
    case OPT_FORMAT:
        if (strcmp(val, "png") && strcmp(val, "svg") && strcmp(val, "both")) {
            snprintf(msg, len, "--format %s: expected png, svg or both", val);
            return -1;
        }
        o->format = val;
        break;
    case OPT_SENSITIVITY: {
        char *end = NULL;
        double f = strtod(val, &end);
        if (!end || *end || !(f > 1.0) || f > 1000.0) {
            snprintf(msg, len, "--sensitivity %s: expected a factor above 1 (e.g. 2)", val);
            return -1;
        }
        o->sensitivity = f;
        break;
    }
    case OPT_MAX_MEMORY: {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(val, &end, 10);
        unsigned shift = 0;
        if (*end && !end[1])
            shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : *end == 'G' || *end == 'g' ? 30
                  : *end == 'T' || *end == 't' ? 40 : 99;
        if (errno || end == val || val[0] == '-' || (*end && shift == 99) || (*end && end[1]) || n == 0 ||
            (shift && n > (~0ull >> shift))) {
            char esc[128];
            snprintf(msg, len, "--max-memory %s: expected a size such as 8G, 512M or a number of bytes",
                     vio_escape(esc, sizeof esc, val, strlen(val)));
            return -1;
        }
        o->max_memory = n << shift;
        break;
    }
    case OPT_HELP:
        o->help = 1;
        break;
    default:
        snprintf(msg, len, "internal error: option %d has no handler", id);
        return -1;
    }
    return 0;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, int first, cli_opts *o, char *msg, size_t len)
{
    struct option longs[32];
    char shorts[64] = ":"; /* leading ':' : a missing value is reported as ':' */
    size_t nl = 0, ns = 1;
    for (const int *id = cmd->opts; *id && nl < 31; id++) {
        const opt_def *d = def_of(*id);
        longs[nl++] = (struct option){d->name, d->arg ? required_argument : no_argument, NULL, d->id};
        if (d->id < 256 && ns + 3 < sizeof shorts) {
            shorts[ns++] = (char)d->id;
            if (d->arg)
                shorts[ns++] = ':';
        }
    }
    longs[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    o->sets = calloc((size_t)argc + 1, sizeof *o->sets);
    o->variants = calloc((size_t)argc + 1, sizeof *o->variants);
    if (!o->sets || !o->variants) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    /* getopt_long scans argv[optind..]; argv[first - 1] stands in for the program name. */
    char **args = argv + first - 1;
    int nargs = argc - first + 1;
    optind = 0; /* 0: a full reinitialisation in glibc (also resets the permutation state) */
    opterr = 0;
    for (;;) {
        int li = -1;
        int c = getopt_long(nargs, args, shorts, longs, &li);
        if (c == -1)
            break;
        /* After an error, args[optind - 1] is the offending option itself. */
        const char *last = args[optind - 1];
        if (c == '?') {
            if (optopt && !strncmp(last, "--", 2))
                snprintf(msg, len, "%s takes no value (see viosim %s --help)", last, cmd->name);
            else if (optopt)
                snprintf(msg, len, "unknown option -%c for %s (see viosim %s --help)", optopt, cmd->name, cmd->name);
            else
                snprintf(msg, len, "unknown option %.*s for %s (see viosim %s --help)", (int)strcspn(last, "="),
                         last, cmd->name, cmd->name);
            return -1;
        }
        if (c == ':') {
            snprintf(msg, len, "%s needs a value (see viosim %s --help)", spelled(optopt, !strncmp(last, "--", 2)),
                     cmd->name);
            return -1;
        }
        int is_long = li >= 0;
        if (take(o, c, optarg, is_long, msg, len))
            return -1;
    }
    for (int i = optind; i < nargs; i++) {
        if (o->npositional >= cmd->max_positional) {
            snprintf(msg, len, "unexpected argument %s (see viosim %s --help)", args[i], cmd->name);
            return -1;
        }
        o->positional[o->npositional++] = args[i];
    }
    return 0;
}

void cli_opts_free(cli_opts *o)
{
    free(o->sets);
    free(o->variants);
}
