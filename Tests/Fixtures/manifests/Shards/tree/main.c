int main_part(void) { return 0; }
