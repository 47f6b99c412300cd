"""Who asks and what they may see: accounts, tokens, roles, privacy, audit, personal data."""
