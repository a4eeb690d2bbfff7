/* Version and embedded default scenario. They live with the simulator proper,
 * next to the generated build_info.c that defines them, so that viosim_models
 * (lib/src/util, lib/src/models) links alone: in a build without LTO, keeping
 * them in util/err.c left models_only with undefined references. */
#include "viosim/viosim.h"

extern const char vio__version[];
extern const char vio__git[];
extern const char *const vio__default_scenario;

const char *vio_version(void) { return vio__version; }
const char *vio_git_version(void) { return vio__git; }
const char *vio_default_scenario_json(void) { return vio__default_scenario; }
