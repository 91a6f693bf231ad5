int mixed(void) { return 0; }
