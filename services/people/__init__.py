"""People: who signs in (identity, SMS sign-in), staff accounts, and actors with what they may see."""
