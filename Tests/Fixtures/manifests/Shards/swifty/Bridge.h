#include <Bridging.h>
