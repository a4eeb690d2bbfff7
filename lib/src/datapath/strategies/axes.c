/* Every registered axis, for `viosim list`: the delivery strategies a variant
 * combines, PASID-tagged I/O, then the models' policies. */
#include "viosim/strategy.h"

static const vio_axis *const axes[] = {
    &vio_axis_dma,        &vio_axis_copy,      &vio_axis_copy_engine, &vio_axis_shared_ring, &vio_axis_notify,
    &vio_axis_iommu,      &vio_axis_io_control, &vio_axis_io_sched,  &vio_axis_device_sched, &vio_axis_adversary,   &vio_axis_replacement,
    &vio_axis_cache_index, &vio_axis_qos,         &vio_axis_preset, NULL,
};

const vio_axis *const *vio_axes(void) { return axes; }
