/* Shared helpers for the libcheck suites. */
#ifndef VIOSIM_TESTS_SUPPORT_H
#define VIOSIM_TESTS_SUPPORT_H
#include <check.h>

/* Run one suite and return the process exit status (0 when every test passed). */
int vio_test_run_suite(Suite *s);
/* Read a whole file into a malloc'd NUL-terminated buffer (NULL on failure). */
char *vio_test_read_file(const char *path);
#include "viosim/run.h"
#include "viosim/scenario.h"
#include "viosim/strategy.h"

#include <stdio.h>
#include <string.h>

/* Whether a loaded row index (a variant's `copy`, a tenant's `adversary`, ...)
 * is the row called `name` of that axis: tests name rows, never index them. */
#define VIO_TEST_IS(axis, row, name) (strcmp(vio_axis_name(&vio_axis_##axis, (size_t)(row)), (name)) == 0)

/* Load a scenario file under scenarios/ (or an inline JSON text when `name`
 * starts with '{') with overrides; fails the test on error. */
vio_scenario *vio_test_load(const char *name, const char *const *sets, size_t nsets);
/* Run every variant with the given engine; fails the test on error. */
json_t *vio_test_run(const vio_scenario *s, enum vio_engine_kind engine);
/* The variant object named `name` in a results document (NULL-safe lookup). */
const json_t *vio_test_variant(const json_t *doc, const char *name);
/* Assert two results documents are identical but for each variant's "engine"
 * object (which says which engine ran); removes those objects. */
void vio_test_assert_same_but_engine(json_t *a, json_t *b);
/* A number at a dot path inside a JSON object ("latency_ns.mean"). */
double vio_test_num(const json_t *o, const char *path);
/* The validation targets' points for docs/validation.md: with VIOSIM_VALIDATION_OUT=DIR,
 * DIR/name opened for writing with its header line written (fails the test if it
 * cannot be); NULL when the variable is unset, so the caller writes nothing. */
FILE *vio_test_csv_open(const char *name, const char *header);
/* Whether the validation tests run every published point (VIOSIM_VALIDATION_OUT set,
 * scripts/validate.sh, or VIOSIM_VALIDATION_FULL set and not "0") rather than the
 * subset `make test` runs. */
int vio_test_validation_full(void);
#endif
