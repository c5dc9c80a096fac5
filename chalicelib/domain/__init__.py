"""Pure domain rules: no AWS, no HTTP, no I/O. Time arrives as an argument."""
