/* Validation (ctest -L validation): one consumer core as a single-server queue.
 *
 * Reference: the M/M/1 and M/D/1 mean sojourn times (Kleinrock, Queueing Systems
 * vol. 1, 1975: Sec. 3.2 for M/M/1, W = 1/(mu - lambda); the Pollaczek-Khinchine
 * formula, Sec. 5.7, for M/D/1, W = 1/mu + rho / (2 mu (1 - rho))).
 *
 * The model: Poisson arrivals (traffic.flows[].arrival "poisson") at rho x mu to
 * one VM whose per-packet work is vms[].process_cycles, exponential
 * (vms[].service "exponential") or fixed, on the ordinary datapath with ideal
 * memory and polling everywhere, so the guest's work is the only service time of
 * consequence: the host stage and the NIC add under a microsecond of fixed delay
 * (0.2 % of the mean service) and the host's queue stays below 0.5 % utilisation.
 * The work is 100 000 cycles (43.5 us at 2.3 GHz) so that those delays stay far
 * below the 2 % tolerance. The sample is long enough for the statistical error of
 * the mean (about 0.4 % at rho 0.5 and 0.8 % at rho 0.8, one standard deviation,
 * from the variance of the M/M/1 waiting-time mean) to stay well inside it. With
 * VIOSIM_VALIDATION_OUT=DIR the points are written to DIR/queueing.csv. */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define WORK_CYCLES 100000u
#define FREQ_MHZ 2300u

static double mean_latency_us(double rho, const char *service, uint64_t packets)
{
    double mu = (double)FREQ_MHZ * 1e6 / WORK_CYCLES; /* packets/s */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"seed\":7,\"platform\":{\"cores\":2,\"freq_mhz\":%u,\"ideal_memory\":true,"
             "\"nic\":{\"ring_entries\":65536}},"
             "\"vms\":[{\"core\":1,\"ring_entries\":65536,\"process_cycles\":%u,\"service\":\"%s\"}],"
             "\"traffic\":{\"packets\":%llu,\"flows\":[{\"dst\":0,\"arrival\":\"poisson\",\"rate_pps\":%.6f,"
             "\"size\":64}]},"
             "\"variants\":[{\"name\":\"q\",\"dma\":\"ddio\",\"copy\":\"guest\",\"notify\":\"poll\","
             "\"host_poll\":true}]}",
             FREQ_MHZ, WORK_CYCLES, service, (unsigned long long)packets, rho * mu);
    vio_scenario *s = vio_test_load(json, NULL, 0);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    const json_t *v = vio_test_variant(doc, "q");
    ck_assert(vio_test_num(v, "packets.dropped") == 0);
    double w = vio_test_num(v, "latency_ns.mean") / 1000.0;
    json_decref(doc);
    vio_scenario_destroy(s);
    return w;
}

START_TEST(test_single_server_queue)
{
    double mu = (double)FREQ_MHZ * 1e6 / WORK_CYCLES, es = 1e6 / mu; /* mean service, us */
    static const struct {
        const char *service;
        double rho;
        uint64_t packets;
    } t[] = {{"exponential", 0.5, 500000}, {"exponential", 0.8, 1000000}, {"fixed", 0.5, 300000},
             {"fixed", 0.8, 300000}, {"fixed", 0.01, 20000}};
    FILE *f = vio_test_csv_open("queueing.csv", "model,rho,packets,theory_us,viosim_us");
    for (int i = 0; i < 5; i++) {
        double rho = t[i].rho, theory;
        int mm1 = t[i].service[0] == 'e';
        if (mm1)
            theory = es / (1 - rho);
        else
            theory = es + rho * es / (2 * (1 - rho));
        double w = mean_latency_us(rho, t[i].service, t[i].packets);
        printf("%s rho %.2f: theory %.2f us, viosim %.2f us (%+.2f %%)\n", mm1 ? "M/M/1" : "M/D/1", rho, theory, w,
               100 * (w - theory) / theory);
        if (f)
            fprintf(f, "%s,%.2f,%llu,%.3f,%.3f\n", mm1 ? "M/M/1" : "M/D/1", rho,
                    (unsigned long long)t[i].packets, theory, w);
        ck_assert_msg(fabs(w - theory) / theory < 0.02, "%s rho %.1f: %.2f us vs %.2f us", t[i].service, rho, w,
                      theory);
    }
    if (f)
        fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validation_queueing");
    TCase *tc = tcase_create("queueing");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_single_server_queue);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
