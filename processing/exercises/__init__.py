"""Exercise analysers: one module per exercise family, the registry of the routine, shared streaming helpers."""
