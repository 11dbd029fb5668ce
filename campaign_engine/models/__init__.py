"""The shapes that travel between layers, one module per capability: frozen, typed,
free of any framework. May import the standard library and each other, nothing else."""
