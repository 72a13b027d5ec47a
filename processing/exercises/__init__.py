"""Exercise analysers: one module per exercise, each turning the angle stream into events."""
