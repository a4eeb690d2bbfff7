/* The axes of PASID-tagged I/O (US10310974): whether inbound DMA is translated
 * and with which page size, the resource control per queue pair, and how a
 * tenant misbehaves. dp_pasid.c acts on the rows' fields. */
#include "datapath/strategies/strategies.h"

#include "viosim/iommu.h"

static const dp_iommu_mode iommu_table[] = {
    {"off", "the device writes physical addresses untranslated (no IOMMU on the receive path)", 0},
    {"4k", "PASID-tagged DMA translated by the IOMMU, the tenants' buffers mapped in 4 KiB pages", VIO_PAGE_4K},
    {"2m", "PASID-tagged DMA translated by the IOMMU, the tenants' buffers mapped in 2 MiB pages", VIO_PAGE_2M},
};

const vio_axis vio_axis_iommu = {"iommu", "variants[].iommu", "translation of inbound DMA (PASID-tagged I/O)",
                                 VIO_AXIS_ROWS(dp_iommu_mode, iommu_table, sizeof iommu_table / sizeof iommu_table[0])};

static const dp_io_control io_control_table[] = {
    {"none", "no I/O resource control", 0},
    {"rate-limit", "the device polices each tenant's queue pair with its token bucket (tenants[].rate_mbps, "
                   "burst_bytes) and drops what does not conform", 1},
};

const vio_axis vio_axis_io_control = {
    "io_control", "variants[].io_control", "I/O resource control per queue pair (US10310974)",
    VIO_AXIS_ROWS(dp_io_control, io_control_table, sizeof io_control_table / sizeof io_control_table[0])};

static const dp_adversary adversary_table[] = {
    {"none", "a well-behaved tenant", VIO_ADV_NONE, 0},
    {"foreign-buffer", "posts rx descriptors that point at the victim's buffers", VIO_ADV_FOREIGN_BUFFER, 1},
    {"foreign-tag", "uses the victim's Tag ID to post its own buffers on the victim's queue pair",
     VIO_ADV_FOREIGN_TAG, 1},
    {"wrong-pasid", "asks the device to stamp the victim's PASID on its DMAs (the device-side check refuses)",
     VIO_ADV_WRONG_PASID, 1},
    {"no-pasid", "the device sends this tenant's DMAs without a PASID", VIO_ADV_NO_PASID, 0},
    {"read-shared", "its guest reads the victim's latest slot of the shared LLC ring (copy guest: its guest buffer)",
     VIO_ADV_READ_SHARED, 1},
    {"tx-foreign-buffer",
     "a forwarder whose transmit descriptors name the victim's buffer (its physical address): the NIC would send "
     "the victim's data",
     VIO_ADV_TX_FOREIGN_BUFFER, 1},
    {"tx-foreign-doorbell", "a forwarder that also stores to the victim's transmit doorbell page",
     VIO_ADV_TX_FOREIGN_DOORBELL, 1},
    {"tx-forged-pasid",
     "a forwarder whose transmit work names the victim's PASID (ENQCMD: the CPU puts the MSR's in; doorbell: the "
     "NIC takes the queue's)",
     VIO_ADV_TX_FORGED_PASID, 1},
};

const vio_axis vio_axis_adversary = {
    "adversary", "tenants[].adversary", "how a tenant misbehaves",
    VIO_AXIS_ROWS(dp_adversary, adversary_table, sizeof adversary_table / sizeof adversary_table[0])};
