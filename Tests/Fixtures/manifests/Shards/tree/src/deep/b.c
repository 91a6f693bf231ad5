int b_part(void) { return 2; }
