"""How each network counts a text."""
