int a_part(void) { return 1; }
