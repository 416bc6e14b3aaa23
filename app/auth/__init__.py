"""Who is asking and what they may see: passwords, tokens, tickets, throttling, the scope rule."""
