/* Platform presets: named machines. A preset replaces the parameter table's
 * default of every platform.* value it lists; a value given in the scenario
 * still wins. Each value carries its source (docs/model.md tabulates them). */
#include "viosim/preset.h"
#include "viosim/strategy.h"

#include <string.h>

#define ARK_6140 "Intel ARK, Xeon Gold 6140 (18 cores, 2.30 GHz base, 24.75 MB L3, 6 x DDR4-2666, 48 PCIe 3.0 lanes)"
#define ARK_2630 "Intel ARK, Xeon E5-2630 v4 (10 cores, 2.20 GHz base, 25 MB L3, 4 x DDR4-2133, 40 PCIe 3.0 lanes)"
#define OPT_SKX "Intel 64 and IA-32 Architectures Optimization Reference Manual, Skylake Server microarchitecture"
#define OPT_BDW "Intel 64 and IA-32 Architectures Optimization Reference Manual, Broadwell / Haswell microarchitecture"
#define ATC20 "Farshin et al., USENIX ATC 2020 (testbed: Xeon Gold 6140, ConnectX-5 100 GbE, DDIO 2 of 11 ways)"
#define YAN19 "Yan et al., \"Attack Directories, Not Caches: Side Channel Attacks in a Non-Inclusive World\", IEEE S&P 2019: Skylake-SP snoop filter 12 ways per LLC set"
#define UOPS "Abel & Reineke, nanoBench (ISPASS 2019) and uops.info/cache.html"
#define MLC_SKX "FD.io CSIT report, test_environment_sut_calib_skx.rst: Intel MLC v3.5 --c2c_latency on a Xeon " \
    "Platinum 8180 (Skylake-SP, same mesh and L2/LLC design as the 6140), local-socket L2->L2 HITM 50.3 ns"
#define MCCALPIN_BDW "McCalpin, Intel Developer Zone forum \"Core-to-Core Communication Latency in Skylake/Kaby Lake\" " \
    "(2016): Intel MLC L2->L2 modified intervention, same socket, 40.3-42.3 ns on a Xeon E5-2660 v4 (Broadwell-EP)"
#define ANAND17 "AnandTech, De Gelas & Cutress, \"Sizing Up Servers: Intel's Skylake-SP Xeon versus AMD's EPYC 7000\", " \
    "2017-07-11, Memory Subsystem: Latency (LMBench random load latency, stride 16 B)"
#define DDIO_BRIEF "Intel Data Direct I/O Technology brief: DDIO allocates into at most 10 % of the LLC (2 of 20 ways)"

static const vio_preset_value skx_6140[] = {
    {"platform.cores", "18", ARK_6140},
    {"platform.freq_mhz", "2300", ARK_6140},
    {"platform.l1.size_kib", "32", OPT_SKX ": L1D 32 KiB, 8-way"},
    {"platform.l1.ways", "8", OPT_SKX},
    {"platform.l1.hit_cycles", "4", OPT_SKX ": 4-cycle load-to-use (simple addressing)"},
    {"platform.l1.replacement", "\"plru\"", UOPS ": Skylake L1D tree-PLRU"},
    {"platform.l2.enabled", "true", OPT_SKX ": private 1 MiB MLC per core"},
    {"platform.l2.size_kib", "1024", OPT_SKX ": MLC 1 MiB, 16-way"},
    {"platform.l2.ways", "16", OPT_SKX},
    {"platform.l2.hit_cycles", "14", OPT_SKX ": MLC 14 cycles"},
    {"platform.l2.replacement", "\"srrip\"", UOPS ": Skylake L2 uses a quad-age (QLRU) policy; srrip is the nearest registered one"},
    {"platform.llc.size_kib", "25344", ARK_6140 ": 24.75 MiB = 18 x 1.375 MiB"},
    {"platform.llc.ways", "11", OPT_SKX ": 11-way LLC"},
    {"platform.llc.hit_cycles", "50", OPT_SKX "; 7-cpu.com Skylake-X measurements"},
    {"platform.llc.replacement", "\"drrip\"", UOPS ": Skylake L3 adaptive quad-age (QLRU) policy; drrip is the set-dueling RRIP of Jaleel et al., ISCA 2010, that such adaptive policies follow (Wong, blog.stuffedcow.net 2013)"},
    {"platform.llc.index", "\"hash\"", "Maurice et al., RAID 2015: Intel LLCs hash many address bits onto slices and sets"},
    {"platform.llc.inclusive", "false", OPT_SKX ": the LLC is non-inclusive, with a snoop filter"},
    {"platform.llc.sf_ways", "12", YAN19},
    {"platform.io_ways", "2", ATC20 "; IIO_LLC_WAYS default 0x600"},
    {"platform.c2c_cycles", "116", MLC_SKX ": 50.3 ns x 2.3 GHz"},
    {"platform.io_reuse_ways", "2", "DDIO+ region of associativity 2, fixed whatever the DDIO width (mask 0x003 on the hardware; the model puts it just below the DDIO ways, which differs only under CAT masks): the DDIO reverse engineering of the Double-Trouble artefact, github.com/KULeuven-COSIC/Double-Trouble sw/ddio_reverse_eng/readme.md; the \"inclusive ways\" of Park et al., \"A4\", ISCA 2025"},
    {"platform.dram.bandwidth_mbps", "1023744", ARK_6140 ": 6 x 2666 MT/s x 64 bit"},
    {"platform.pcie.bandwidth_mbps", "126032", ATC20 ": PCIe Gen3 x16, 15.754 GB/s (8 GT/s x 16 x 128/130 = 126 030.8 Mb/s, as usually quoted rounded)"},
    {"platform.nic.wire_mbps", "100000", ATC20 ": ConnectX-5 100 GbE"},
    {NULL, NULL, NULL},
};

static const vio_preset_value bdw_2630v4[] = {
    {"platform.cores", "10", ARK_2630},
    {"platform.freq_mhz", "2200", ARK_2630},
    {"platform.l1.size_kib", "32", OPT_BDW ": L1D 32 KiB, 8-way"},
    {"platform.l1.ways", "8", OPT_BDW},
    {"platform.l1.hit_cycles", "4", OPT_BDW},
    {"platform.l1.replacement", "\"plru\"", "Abel & Reineke, ISPASS 2014: tree-PLRU L1 on Intel cores of that era"},
    {"platform.l2.enabled", "true", OPT_BDW ": private 256 KiB L2 per core"},
    {"platform.l2.size_kib", "256", OPT_BDW ": L2 256 KiB, 8-way"},
    {"platform.l2.ways", "8", OPT_BDW},
    {"platform.l2.hit_cycles", "12", OPT_BDW ": L2 12 cycles"},
    {"platform.l2.replacement", "\"plru\"", "Abel & Reineke, ISPASS 2014: PLRU L2 on Intel cores of that era"},
    {"platform.llc.size_kib", "25600", ARK_2630 ": 25 MiB = 10 x 2.5 MiB"},
    {"platform.llc.ways", "20", OPT_BDW ": 20-way LLC (2.5 MiB slices)"},
    {"platform.llc.hit_cycles", "50", ANAND17 ": Xeon E5-2699 v4 (Broadwell-EP) L3 38-51 cycles at 4-8 MB; 50 is within it"},
    {"platform.llc.replacement", "\"drrip\"", "Wong, blog.stuffedcow.net 2013: Intel L3 adaptive (RRIP-like, set dueling) since Ivy Bridge; drrip: Jaleel et al., ISCA 2010"},
    {"platform.llc.index", "\"hash\"", "Maurice et al., RAID 2015"},
    {"platform.llc.inclusive", "true", OPT_BDW ": the LLC is inclusive of the cores' caches"},
    {"platform.io_ways", "2", DDIO_BRIEF},
    {"platform.c2c_cycles", "91", MCCALPIN_BDW ": 41.3 ns x 2.2 GHz"},
    {"platform.io_reuse_ways", "0", "inclusive LLC: a device write updates the line in place wherever it is"},
    {"platform.dram.latency_ns", "95", ANAND17 ": Xeon E5-2699 v4 (Broadwell-EP, DDR4-2400) 95 ns at 384-512 MB; "
     "the same method gives 89-91 ns on Skylake-SP, the table default's 90"},
    {"platform.dram.bandwidth_mbps", "546048", ARK_2630 ": 4 x 2133 MT/s x 64 bit"},
    {"platform.pcie.bandwidth_mbps", "126032", "PCIe Gen3 x16, 15.754 GB/s (8 GT/s x 16 x 128/130 = 126 030.8 Mb/s, as usually quoted rounded)"},
    {NULL, NULL, NULL},
};

static const vio_preset table[VIO_PRESET_COUNT] = {
    [VIO_PRESET_NONE] = {"none", "the parameter table's defaults: a generic 8-core part (inclusive 11 MiB LLC, no L2, LRU), not a validated machine", NULL},
    [VIO_PRESET_SKX_6140] = {"skylake-sp-6140", "Xeon Gold 6140, the ATC'20 DDIO testbed: 18 cores, non-inclusive 24.75 MiB LLC", skx_6140},
    [VIO_PRESET_BDW_2630V4] = {"e5-2630-v4", "Xeon E5-2630 v4 (Broadwell-EP): 10 cores, inclusive 25 MiB 20-way LLC", bdw_2630v4},
};

const vio_preset *vio_presets(void) { return table; }

const vio_axis vio_axis_preset = {"preset", "platform.preset", "a named machine whose values replace platform defaults",
                                  VIO_AXIS_ROWS(vio_preset, table, VIO_PRESET_COUNT)};

const vio_preset_value *vio_preset_value_of(int preset, const char *path)
{
    if (preset <= 0 || preset >= (int)VIO_PRESET_COUNT)
        return NULL;
    for (const vio_preset_value *v = table[preset].values; v->path; v++)
        if (strcmp(v->path, path) == 0)
            return v;
    return NULL;
}
