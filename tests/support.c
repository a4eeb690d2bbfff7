#include "support.h"

#include "read_file.h"

#include <stdio.h>
#include <stdlib.h>

int vio_test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *vio_test_read_file(const char *path) { return vio_test_read_file_len(path, NULL); }

#include <string.h>

vio_scenario *vio_test_load(const char *name, const char *const *sets, size_t nsets)
{
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    int rc;
    if (name[0] == '{') {
        rc = vio_scenario_load_string(name, "inline.json", sets, nsets, &s, &err);
    } else {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", VIOSIM_SOURCE_DIR, name);
        rc = vio_scenario_load_file(path, sets, nsets, &s, &err);
    }
    ck_assert_msg(rc == VIO_OK, "load %s: %s", name, err.msg);
    return s;
}

json_t *vio_test_run(const vio_scenario *s, enum vio_engine_kind engine)
{
    /* SimGrid's raw contexts confuse ASan's stack tracking; the sanitizer run
     * selects thread contexts through VIOSIM_CONTEXTS, as the CLI does. */
    vio_run_opts opts = {.jobs = 2, .engine = engine, .contexts = getenv("VIOSIM_CONTEXTS")};
    json_t *doc = NULL;
    vio_err err = {{0}};
    int rc = vio_run(s, -1, &opts, &doc, NULL, &err);
    ck_assert_msg(rc == VIO_OK, "run %s: %s", s->name, err.msg);
    return doc;
}

const json_t *vio_test_variant(const json_t *doc, const char *name)
{
    const json_t *vars = json_object_get(doc, "variants");
    for (size_t i = 0; i < json_array_size(vars); i++) {
        const json_t *v = json_array_get(vars, i);
        if (!strcmp(json_string_value(json_object_get(v, "name")), name))
            return v;
    }
    ck_abort_msg("no variant %s", name);
    return NULL;
}

double vio_test_num(const json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, ".")) {
        o = json_is_array(o) ? json_array_get(o, (size_t)strtoul(tok, NULL, 10)) : json_object_get(o, tok);
        ck_assert_msg(o != NULL, "no %s", path);
    }
    ck_assert_msg(json_is_number(o), "%s is not a number", path);
    return json_number_value(o);
}

void vio_test_assert_same_but_engine(json_t *a, json_t *b)
{
    json_t *va = json_object_get(a, "variants"), *vb = json_object_get(b, "variants");
    ck_assert_uint_eq(json_array_size(va), json_array_size(vb));
    for (size_t i = 0; i < json_array_size(va); i++) {
        json_t *x = json_array_get(va, i), *y = json_array_get(vb, i);
        json_object_del(x, "engine");
        json_object_del(y, "engine");
        char *tx = json_dumps(x, JSON_SORT_KEYS), *ty = json_dumps(y, JSON_SORT_KEYS);
        /* Compared here, not in the message: libcheck cannot carry texts this long. */
        int same = strcmp(tx, ty) == 0;
        free(tx);
        free(ty);
        ck_assert_msg(same, "variant %zu: the SimGrid engine and the reference loop disagree", i);
    }
}

FILE *vio_test_csv_open(const char *name, const char *header)
{
    const char *dir = getenv("VIOSIM_VALIDATION_OUT");
    if (!dir || !*dir)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fprintf(f, "%s\n", header);
    return f;
}

int vio_test_validation_full(void)
{
    const char *o = getenv("VIOSIM_VALIDATION_OUT"), *f = getenv("VIOSIM_VALIDATION_FULL");
    return (o && *o) || (f && *f && strcmp(f, "0"));
}
