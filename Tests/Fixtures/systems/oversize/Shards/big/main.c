#include <vanity_shard.h>
#include <vanity/vanity.h>
/* 8 KiB in the text section, whatever the instruction set. */
__asm__(".pushsection .text.filler, \"ax\", @progbits\n\t.fill 8192, 1, 0\n\t.popsection");
int main(void) { return 0; }
