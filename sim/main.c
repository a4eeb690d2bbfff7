/* viosim: the command line. Turns library error codes into exit statuses
 * (0 ok, 1 run failed, 2 bad input) and one line on stderr. */
#include "viosim/run.h"
#include "viosim/scenario.h"
#include "viosim/viosim.h"

#include "summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXIT_RUN_FAILED 1
#define EXIT_BAD_INPUT 2

static const char usage[] =
    "usage: viosim run [SCENARIO] [-o DIR] [--seed N] [--set PATH=VALUE]... [--variant NAME]\n"
    "                  [-j JOBS] [--engine simgrid|sequential] [--quiet] [--log]\n"
    "       viosim check SCENARIO [--set PATH=VALUE]...\n"
    "       viosim list [--markdown]\n"
    "       viosim --help | --version\n"
    "\n"
    "  run     simulate every variant of SCENARIO (default: the embedded\n"
    "          scenarios/default.json), print a summary, write DIR/results.json\n"
    "          (DIR defaults to results/<scenario name>)\n"
    "  check   validate SCENARIO and print it with every default filled in\n"
    "  list    print the delivery strategies and every scenario parameter\n"
    "\n"
    "  -o DIR            directory for results.json (created if missing)\n"
    "  --seed N          override the scenario's seed\n"
    "  --set PATH=VALUE  override one parameter, e.g. --set vms[0].core=3\n"
    "  --variant NAME    run only this variant\n"
    "  -j JOBS           variants simulated in parallel (results do not change)\n"
    "  --engine E        simgrid (default) or sequential (the exact reference loop)\n"
    "  --quiet           no summary on stdout\n"
    "  --log             let SimGrid log to stderr\n"
    "\n"
    "exit status: 0 ok, 1 the run failed, 2 bad input\n";

static int exit_for(int rc) { return rc == VIO_EINVAL || rc == VIO_EIO ? EXIT_BAD_INPUT : EXIT_RUN_FAILED; }

static int fail(int code, const char *msg)
{
    fprintf(stderr, "viosim: %s\n", msg);
    return code;
}

typedef struct cli {
    const char *scenario, *outdir, *variant, *engine;
    const char **sets;
    size_t nsets;
    char seed_set[64];
    unsigned jobs;
    int quiet, log, markdown;
} cli;

static int parse_args(int argc, char **argv, int first, cli *c, char *msg, size_t len)
{
    c->sets = calloc((size_t)argc + 1, sizeof *c->sets);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strncmp(a, "-j", 2) && a[2]) { /* -j4, as make spells it */
            val = a + 2;
            a = "-j";
            i--; /* the value is not a separate argument */
        }
        int takes = !strcmp(a, "-o") || !strcmp(a, "--seed") || !strcmp(a, "--set") || !strcmp(a, "--variant") ||
                    !strcmp(a, "-j") || !strcmp(a, "--engine");
        if (takes && !val) {
            snprintf(msg, len, "%s needs a value (see viosim --help)", a);
            return -1;
        }
        if (!strcmp(a, "-o"))
            c->outdir = val;
        else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (errno || *end || !*val || val[0] == '-') {
                snprintf(msg, len, "--seed %s: expected a non-negative integer", val);
                return -1;
            }
            snprintf(c->seed_set, sizeof c->seed_set, "seed=%llu", s);
            c->sets[c->nsets++] = c->seed_set;
        } else if (!strcmp(a, "--set"))
            c->sets[c->nsets++] = val;
        else if (!strcmp(a, "--variant"))
            c->variant = val;
        else if (!strcmp(a, "-j")) {
            char *end;
            long j = strtol(val, &end, 10);
            if (*end || j < 1 || j > 256) {
                snprintf(msg, len, "-j %s: expected a number of jobs in 1..256", val);
                return -1;
            }
            c->jobs = (unsigned)j;
        } else if (!strcmp(a, "--engine")) {
            if (strcmp(val, "simgrid") && strcmp(val, "sequential")) {
                snprintf(msg, len, "--engine %s: expected simgrid or sequential", val);
                return -1;
            }
            c->engine = val;
        } else if (!strcmp(a, "--quiet"))
            c->quiet = 1;
        else if (!strcmp(a, "--log"))
            c->log = 1;
        else if (!strcmp(a, "--markdown"))
            c->markdown = 1;
        else if (a[0] == '-' && a[1]) {
            snprintf(msg, len, "unknown option %s (see viosim --help)", a);
            return -1;
        } else if (!c->scenario)
            c->scenario = a;
        else {
            snprintf(msg, len, "unexpected argument %s (one scenario per run)", a);
            return -1;
        }
        if (takes)
            i++;
    }
    return 0;
}

static int load(const cli *c, vio_scenario **s, vio_err *err)
{
    if (c->scenario)
        return vio_scenario_load_file(c->scenario, c->sets, c->nsets, s, err);
    return vio_scenario_load_string(vio_default_scenario_json(), "<default>", c->sets, c->nsets, s, err);
}

static int mkdirs(const char *dir, char *msg, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(msg, len, "%.1023s: cannot create directory: %s", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, len, "%.1023s: cannot create directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmd_run(cli *c)
{
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    int rc = load(c, &s, &err);
    if (rc != VIO_OK)
        return fail(exit_for(rc), err.msg);
    int variant = -1;
    if (c->variant) {
        variant = vio_scenario_variant_by_name(s, c->variant);
        if (variant < 0) {
            snprintf(err.msg, sizeof err.msg, "--variant %s: %s has no variant of that name", c->variant, s->source);
            vio_scenario_destroy(s);
            return fail(EXIT_BAD_INPUT, err.msg);
        }
    }
    char outdir[4096], path[4200], msg[4400];
    if (c->outdir)
        snprintf(outdir, sizeof outdir, "%s", c->outdir);
    else
        snprintf(outdir, sizeof outdir, "results/%s", s->name);
    if (strlen(outdir) >= 1024 || mkdirs(outdir, msg, sizeof msg) != 0) {
        if (strlen(outdir) >= 1024)
            snprintf(msg, sizeof msg, "-o: directory name longer than 1023 bytes");
        vio_scenario_destroy(s);
        return fail(EXIT_RUN_FAILED, msg);
    }
    vio_run_opts opts = {.jobs = c->jobs ? c->jobs : 1,
                         .engine = c->engine && !strcmp(c->engine, "sequential") ? VIO_ENGINE_SEQUENTIAL
                                                                                 : VIO_ENGINE_SIMGRID,
                         .log = c->log,
                         .contexts = getenv("VIOSIM_CONTEXTS")};
    vio_run_perf *perf = calloc(s->nvariants, sizeof *perf);
    json_t *doc = NULL;
    rc = vio_run(s, variant, &opts, &doc, perf, &err);
    if (rc == VIO_OK) {
        snprintf(path, sizeof path, "%s/results.json", outdir);
        rc = vio_write_json_atomic(doc, path, &err);
        if (rc == VIO_OK && !c->quiet) {
            vio_print_summary(stdout, s, doc, perf, variant);
            printf("results: %s\n", path);
        }
        if (rc != VIO_OK)
            rc = VIO_ERUN; /* the input was fine; writing failed */
    }
    json_decref(doc);
    free(perf);
    vio_scenario_destroy(s);
    if (rc != VIO_OK)
        return fail(exit_for(rc), err.msg);
    return 0;
}

static int cmd_check(cli *c)
{
    if (!c->scenario)
        return fail(EXIT_BAD_INPUT, "check needs a scenario file (see viosim --help)");
    vio_err err = {{0}};
    vio_scenario *s = NULL;
    int rc = load(c, &s, &err);
    if (rc != VIO_OK)
        return fail(exit_for(rc), err.msg);
    json_t *j = json_loads(s->canonical_json, 0, NULL);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("%s: ok (%u VMs, %u flows, %u variants)\n%s\n", s->source, s->nvms, s->traffic.nflows, s->nvariants,
           text ? text : "");
    free(text);
    json_decref(j);
    vio_scenario_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fail(EXIT_BAD_INPUT, "no command (see viosim --help)");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("viosim %s (%s)\n", vio_version(), vio_git_version());
        return 0;
    }
    cli c = {0};
    char msg[600];
    int status;
    if (parse_args(argc, argv, 2, &c, msg, sizeof msg) != 0)
        status = fail(EXIT_BAD_INPUT, msg);
    else if (!strcmp(cmd, "run"))
        status = cmd_run(&c);
    else if (!strcmp(cmd, "check"))
        status = cmd_check(&c);
    else if (!strcmp(cmd, "list"))
        status = vio_print_list(stdout, c.markdown);
    else {
        snprintf(msg, sizeof msg, "unknown command %s (see viosim --help)", cmd);
        status = fail(EXIT_BAD_INPUT, msg);
    }
    free(c.sets);
    return status;
}
