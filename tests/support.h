/* Shared helpers for the libcheck suites. */
#ifndef VIOSIM_TESTS_SUPPORT_H
#define VIOSIM_TESTS_SUPPORT_H
#include <check.h>

/* Run one suite and return the process exit status (0 when every test passed). */
int vio_test_run_suite(Suite *s);
/* Read a whole file into a malloc'd NUL-terminated buffer (NULL on failure). */
char *vio_test_read_file(const char *path);
#endif
