#include <vanity/vanity.h>
/* Stops the system once every idle shard has said it is up. */
int main(void) {
  vanity_printf("up\n");
  uint64_t m;
  vanity_recv(&vanity_channel_up_1, &m);
  vanity_recv(&vanity_channel_up_2, &m);
  vanity_recv(&vanity_channel_up_3, &m);
  vanity_recv(&vanity_channel_up_4, &m);
  vanity_recv(&vanity_channel_up_5, &m);
  vanity_recv(&vanity_channel_up_6, &m);
  vanity_shutdown(0);
  return 0;
}
