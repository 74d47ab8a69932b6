"""Notes backends: a private running document per person."""
