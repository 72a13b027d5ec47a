"""Validation of dorsi's measurements: the simulator suite and the real-data comparisons (`dorsi validate`)."""
