#include <vanity_shard.h>
#include <vanity/vanity.h>
#include "../common.h"

/* Waits (at most 60 s) for every verdict on the board and for the
 * outsider's restart after its fault, then stops the system. */
int main(void) {
  const volatile uint64_t *board = vanity_region_board.base;
  static const char *names[BOARD_SLOTS] = {"reader", "scribbler", "swifty"};
  int64_t start = vanity_time_ns();
  for (;;) {
    int missing = -1;
    for (int i = 0; i < BOARD_SLOTS && missing < 0; i++)
      if (__atomic_load_n(&board[i], __ATOMIC_ACQUIRE) != VERDICT_OK) missing = i;
    int outsider_back = vanity_generation(OUTSIDER) >= 2;
    if (missing < 0 && outsider_back) break;
    if (vanity_time_ns() - start > 60000000000ll) {
      vanity_printf("judge: TIMEOUT waiting for %s\n", missing >= 0 ? names[missing] : "the outsider's restart");
      vanity_shutdown(1);
    }
    vanity_yield();
  }
  vanity_printf("judge: every verdict is in (board mapped writable %u)\n", vanity_region_board.writable);
  vanity_shutdown(0);
  return 1;
}
