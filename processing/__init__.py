"""Pure computation from IMU samples to ankle angles and exercise events: no I/O, no threads."""
