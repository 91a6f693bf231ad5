/* Demo clock (C17): reads the wall-clock time through its RTC device grant.
 * The register layout is the board's: PL031 (aarch64-virt), Goldfish RTC
 * (riscv64-virt) or HPET (x86_64-pc); see clock_read below. */
#include <vanity_shard.h>
#include <vanity/vanity.h>

/* Days since 1970-01-01 → civil date (Howard Hinnant's algorithm). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int main(void) {
  const struct vanity_device *rtc = &vanity_device_rtc;
#if defined(VANITY_DEVICE_RTC_COMPAT_GOOGLE_GOLDFISH_RTC)
  /* Goldfish: nanoseconds since the epoch; reading TIME_LOW latches TIME_HIGH. */
  uint64_t lo = vanity_mmio_read32(rtc->base + 0x00);
  uint64_t hi = vanity_mmio_read32(rtc->base + 0x04);
  uint32_t secs = (uint32_t)(((hi << 32) | lo) / 1000000000ull);
#elif defined(VANITY_DEVICE_RTC_COMPAT_INTEL_HPET)
  /* HPET: the x86_64-pc kernel starts the main counter (0xf0) at the CMOS
   * time since the epoch; capabilities (0x04) give its period in fs. */
  uint64_t hz = 1000000000000000ull / vanity_mmio_read32(rtc->base + 0x04);
  uint32_t hi, lo;
  do {
    hi = vanity_mmio_read32(rtc->base + 0xf4);
    lo = vanity_mmio_read32(rtc->base + 0xf0);
  } while (hi != vanity_mmio_read32(rtc->base + 0xf4));
  uint32_t secs = (uint32_t)((((uint64_t)hi << 32) | lo) / hz);
#else
  /* PL031 (and the simulator's RTC): RTCDR at offset 0 holds seconds since the epoch. */
  uint32_t secs = vanity_mmio_read32(rtc->base);
#endif
  int64_t y;
  unsigned mo, d;
  civil(secs / 86400, &y, &mo, &d);
  unsigned rem = secs % 86400;
  if (rtc->irq != VANITY_NO_IRQ)
    vanity_printf("clock: the RTC at 0x%lx (irq %u) says %ld-%02u-%02u %02u:%02u:%02u UTC\n", (uint64_t)rtc->base, rtc->irq,
                  y, mo, d, rem / 3600, rem / 60 % 60, rem % 60);
  else
    vanity_printf("clock: the RTC at 0x%lx says %ld-%02u-%02u %02u:%02u:%02u UTC\n", (uint64_t)rtc->base, y, mo, d,
                  rem / 3600, rem / 60 % 60, rem % 60);
  return 0;
}
