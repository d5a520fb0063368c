"""Understanding what people type (see the README's "How understanding works")."""
