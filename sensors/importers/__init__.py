"""Readers of other tools' recording formats into SampleBlocks (each format one module)."""
