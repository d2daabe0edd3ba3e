"""One module per network: its rules, counting, escaping and brand options."""
