#error "not among the counter's sources: its globs leave broken/ out"
