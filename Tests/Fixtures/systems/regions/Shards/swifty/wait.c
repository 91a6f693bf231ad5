#include <vanity/vanity.h>
#include "../common.h"

void swifty_wait_ready(const void *shelf);
void swifty_wait_ready(const void *shelf) { shelf_wait_ready(shelf, vanity_yield); }
