#ifndef VIOSIM_TESTS_READ_FILE_H
#define VIOSIM_TESTS_READ_FILE_H
#include <stddef.h>
/* A whole file as a malloc'd NUL-terminated buffer (NULL on failure); *len its size. */
char *vio_test_read_file_len(const char *path, size_t *len);
#endif
