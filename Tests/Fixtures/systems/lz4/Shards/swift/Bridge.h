/* The Swift shard's bridging header: Vanity's, and LZ4's from the library's
 * include folder. */
#include <Bridging.h>

#include <lz4.h>
