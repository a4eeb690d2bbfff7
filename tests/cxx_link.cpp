// Every public header compiles as C++ and the library links into a C++
// program: load a scenario, run one variant, read a number.
#include <viosim/cache.h>
#include <viosim/datapath.h>
#include <viosim/engine.h>
#include <viosim/hist.h>
#include <viosim/iommu.h>
#include <viosim/memsys.h>
#include <viosim/pcie.h>
#include <viosim/qos.h>
#include <viosim/repl.h>
#include <viosim/rng.h>
#include <viosim/run.h>
#include <viosim/scenario.h>
#include <viosim/sensitivity.h>
#include <viosim/sha256.h>
#include <viosim/strategy.h>
#include <viosim/tenant.h>
#include <viosim/time.h>
#include <viosim/traffic.h>
#include <viosim/vcpu.h>
#include <viosim/viosim.h>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *sets[] = {"traffic.packets=500"};
    vio_scenario *s = nullptr;
    vio_err err{};
    if (vio_scenario_load_file(argv[1], sets, 1, &s, &err) != VIO_OK) {
        std::fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    vio_run_opts opts{};
    opts.engine = VIO_ENGINE_SEQUENTIAL;
    json_t *doc = nullptr;
    int rc = vio_run(s, 0, &opts, &doc, nullptr, &err);
    if (rc != VIO_OK) {
        std::fprintf(stderr, "%s\n", err.msg);
        vio_scenario_destroy(s);
        return 1;
    }
    const json_t *v = json_array_get(json_object_get(doc, "variants"), 0);
    long long offered = json_integer_value(json_object_get(json_object_get(v, "packets"), "offered"));
    std::string name = json_string_value(json_object_get(v, "name"));
    std::printf("c++: %s offered %lld packets (viosim %s)\n", name.c_str(), offered, vio_version());
    json_decref(doc);
    vio_scenario_destroy(s);
    return offered == 500 ? 0 : 1;
}
