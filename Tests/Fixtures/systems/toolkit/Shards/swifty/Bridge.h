/* The Swift shard's own bridging header: Vanity's (for the Vanity API),
 * its C helper and the shared library. */
#include <Bridging.h>

#include <checksum/checksum.h>
#include <report.h>

/* The shard's defines reach the clang importer. */
static inline uint32_t swifty_magic(void) { return SWIFTY_MAGIC; }
