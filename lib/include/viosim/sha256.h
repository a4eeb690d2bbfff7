/* SHA-256 (FIPS 180-4), small and dependency-free: scenario hashes in result
 * headers and digests of arrival sequences (to show every variant saw the same
 * packets). Not constant-time; nothing here is secret. */
#ifndef VIOSIM_SHA256_H
#define VIOSIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_SHA256_BYTES 32u

/* Incremental state; a plain struct so it can live inside a model or on the stack. */
typedef struct vio_sha256 {
    uint32_t h[8];       /* intermediate hash value H(i) */
    uint64_t nbytes;     /* message length so far */
    uint8_t block[64];   /* pending partial block */
    size_t nblock;       /* bytes used in `block` */
} vio_sha256;

void vio_sha256_init(vio_sha256 *c);
void vio_sha256_update(vio_sha256 *c, const void *data, size_t len);
/* Pad, finish and write the 32-byte digest; `c` must be re-initialised before reuse. */
void vio_sha256_final(vio_sha256 *c, uint8_t out[VIO_SHA256_BYTES]);
/* Same, as 64 lowercase hex digits and a NUL. */
void vio_sha256_final_hex(vio_sha256 *c, char out[65]);

/* One-shot digest of `len` bytes as lowercase hex. */
void vio_sha256_hex(const void *data, size_t len, char out[65]);

#ifdef __cplusplus
}
#endif
#endif
