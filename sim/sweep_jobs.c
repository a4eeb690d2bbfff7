/* --emit-jobs: a sweep as plain shell commands, one per task, for GNU parallel
 * (one machine or many with --sshloginfile) and a Slurm job array running the
 * same lines. Every line is a complete `viosim run` with absolute paths, so it
 * runs from any directory of any machine that sees the same files. */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700

#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* `s` in single quotes, for sh. */
static void quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static int write_file(const char *path, const char *tmp, int (*body)(FILE *, const void *), const void *ctx,
                      int mode)
{
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return cli_fail(EXIT_RUN_FAILED, "%s: cannot create: %s", tmp, strerror(errno));
    int bad = body(f, ctx);
    bad |= fflush(f) != 0 || fchmod(fileno(f), (mode_t)mode) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return cli_fail(EXIT_RUN_FAILED, "%s: cannot write", path);
    }
    return 0;
}

typedef struct jobs_ctx {
    const sweep_plan *p;
    const cli_opts *o;
    const char *exe, *dir, *jobs_path;
    uint32_t per;
} jobs_ctx;

static int jobs_body(FILE *f, const void *arg)
{
    const jobs_ctx *c = arg;
    for (uint32_t i = 0; i < c->p->ntasks; i++) {
        const sweep_task *t = &c->p->tasks[i];
        json_t *store;
        size_t n;
        const char **sets = sweep_task_sets(c->p, t, &store, &n);
        quote(f, c->exe);
        fputs(" run ", f);
        quote(f, c->p->scenario);
        fputs(" --quiet", f);
        if (c->o->engine)
            fprintf(f, " --engine=%s", c->o->engine);
        for (size_t k = 0; k < n; k++) {
            fputs(" --set=", f);
            quote(f, sets[k]);
        }
        for (size_t k = 0; k < json_array_size(c->p->variants); k++) {
            fputs(" --variant=", f);
            quote(f, json_string_value(json_array_get(c->p->variants, k)));
        }
        char out[PATH_MAX + 64];
        snprintf(out, sizeof out, "%s/points/%s", c->dir, t->id);
        fputs(" -o ", f);
        quote(f, out);
        fputc('\n', f);
        free(sets);
        json_decref(store);
    }
    return ferror(f);
}

static int slurm_body(FILE *f, const void *arg)
{
    const jobs_ctx *c = arg;
    uint32_t ntasks = (c->p->ntasks + c->per - 1) / c->per;
    fprintf(f, "#!/usr/bin/env bash\n"
               "# Slurm job array for sweep %s, written by viosim sweep --emit-jobs.\n"
               "# Each array task runs %u line(s) of jobs.txt (Slurm's MaxArraySize is 1001 by default).\n"
               "#   sbatch slurm.sh                 submit; then: viosim merge DIR\n"
               "#   SLURM_ARRAY_TASK_ID=1 bash slurm.sh   run one task by hand (a dry run)\n",
            c->p->name, c->per);
    fprintf(f, "#SBATCH --job-name=viosim-%s\n#SBATCH --array=1-%u\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n",
            c->p->name, ntasks);
    fprintf(f, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", c->dir);
    fputs("set -euo pipefail\njobs=", f);
    quote(f, c->jobs_path);
    fprintf(f, "\nper=%u\n", c->per);
    fputs(": \"${SLURM_ARRAY_TASK_ID:?run me with sbatch, or set SLURM_ARRAY_TASK_ID for one task}\"\n"
          "first=$(( (SLURM_ARRAY_TASK_ID - 1) * per + 1 ))\n"
          "last=$(( first + per - 1 ))\n"
          "sed -n \"${first},${last}p\" \"$jobs\" | while IFS= read -r line; do\n"
          "  bash -c \"$line\" </dev/null\n"
          "done\n",
          f);
    return ferror(f);
}

int sweep_emit_jobs(const sweep_plan *p, const cli_opts *o, const char *outdir)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return cli_fail(EXIT_RUN_FAILED, "cannot find viosim's own path (/proc/self/exe): %s", strerror(errno));
    exe[n] = '\0';
    if (!realpath(outdir, dir))
        return cli_fail(EXIT_RUN_FAILED, "%s: %s", outdir, strerror(errno));
    char jobs_path[PATH_MAX + 32], slurm_path[PATH_MAX + 32], tmp[PATH_MAX + 48];
    snprintf(jobs_path, sizeof jobs_path, "%s/jobs.txt", dir);
    snprintf(slurm_path, sizeof slurm_path, "%s/slurm.sh", dir);
    jobs_ctx c = {.p = p, .o = o, .exe = exe, .dir = dir, .jobs_path = jobs_path, .per = (p->ntasks + 999) / 1000};
    if (c.per == 0)
        c.per = 1;
    snprintf(tmp, sizeof tmp, "%s.tmp", jobs_path);
    int rc = write_file(jobs_path, tmp, jobs_body, &c, 0644);
    snprintf(tmp, sizeof tmp, "%s.tmp", slurm_path);
    if (!rc)
        rc = write_file(slurm_path, tmp, slurm_body, &c, 0755);
    if (!rc && !o->quiet)
        printf("%s: %u commands (%u points x %u replications)\n"
               "  one machine:   parallel -j %u < %s\n"
               "  many machines: parallel --sshloginfile HOSTS < %s\n"
               "  Slurm:         sbatch %s\n"
               "then: viosim merge %s\n",
               jobs_path, p->ntasks, p->npoints, p->reps, o->jobs ? o->jobs : 2, jobs_path, jobs_path, slurm_path,
               dir);
    return rc;
}
