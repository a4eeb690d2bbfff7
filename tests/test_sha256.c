/* SHA-256 against the FIPS 180-4 examples (NIST CSRC "Cryptographic Standards and
 * Guidelines: Examples with Intermediate Values", SHA-256) and padding edges. */
#include "support.h"
#include "viosim/sha256.h"

#include <string.h>

static void check_hex(const char *msg, const char *expect)
{
    char got[65];
    vio_sha256_hex(msg, strlen(msg), got);
    ck_assert_str_eq(got, expect);
}

START_TEST(fips_one_block)
{
    check_hex("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(fips_empty)
{
    check_hex("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(fips_two_blocks)
{
    /* 448 bits: the length no longer fits after the 1 bit, a second block is needed. */
    check_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
              "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(fips_million_a_incremental)
{
    /* One million 'a' fed in uneven pieces, so partial blocks are carried across calls. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    vio_sha256 c;
    vio_sha256_init(&c);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        vio_sha256_update(&c, chunk, n);
        left -= n;
    }
    char got[65];
    vio_sha256_final_hex(&c, got);
    ck_assert_str_eq(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(padding_edges)
{
    /* Lengths around the 55/56 and 63/64 byte boundaries; digests from coreutils sha256sum. */
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
        {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
        {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
        {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
        {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
        {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
        {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
    };
    char buf[128];
    memset(buf, 'x', sizeof buf);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char got[65];
        vio_sha256_hex(buf, v[i].n, got);
        ck_assert_msg(strcmp(got, v[i].hex) == 0, "length %zu: got %s", v[i].n, got);
    }
}
END_TEST

START_TEST(incremental_matches_one_shot)
{
    /* Every split point of a 3-block message gives the one-shot digest. */
    unsigned char msg[200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7u + 3u);
    char whole[65];
    vio_sha256_hex(msg, sizeof msg, whole);
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        vio_sha256 c;
        char got[65];
        vio_sha256_init(&c);
        vio_sha256_update(&c, msg, cut);
        vio_sha256_update(&c, msg + cut, 0);
        vio_sha256_update(&c, msg + cut, sizeof msg - cut);
        vio_sha256_final_hex(&c, got);
        ck_assert_msg(strcmp(got, whole) == 0, "split at %zu", cut);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("fips180-4");
    tcase_add_test(tc, fips_one_block);
    tcase_add_test(tc, fips_empty);
    tcase_add_test(tc, fips_two_blocks);
    tcase_add_test(tc, fips_million_a_incremental);
    tcase_add_test(tc, padding_edges);
    tcase_add_test(tc, incremental_matches_one_shot);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
