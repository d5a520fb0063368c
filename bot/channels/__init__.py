"""Channel adapters: they translate platform updates into core events and replies back."""
