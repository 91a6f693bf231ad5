/* The C view every Embedded Swift shard is compiled with
 * (-import-objc-header): its generated header and the C user library, so the
 * ring format and the system calls have one definition. */
#include <vanity_shard.h>
#include <vanity/vanity.h>
