#include <counter.h>

/* Unused on purpose: a warning, not an error, with warnings-as-errors = false. */
static int unused_helper(void) { return 1; }

const char *counter_label(void) { return COUNTER_NAME; }
