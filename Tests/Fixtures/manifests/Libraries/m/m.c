int m(void) { return 0; }
