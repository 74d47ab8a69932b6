"""Calendar backends: each reads Series and, when writable, applies specs and patches."""
