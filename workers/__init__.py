"""Background work on arq: thin jobs that claim, compose, send and record through the domain."""
