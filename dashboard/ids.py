"""Component ids of every Dash page, in one place so that pages, callbacks and tests agree."""

from __future__ import annotations

# Live page: controls.
LIVE_CONNECT = "live-connect"
LIVE_RECALIBRATE = "live-recalibrate"
LIVE_EXERCISE = "live-exercise"

# Live page: status lines.
LIVE_CONNECTION_STATUS = "live-connection-status"
LIVE_CALIBRATION_STATUS = "live-calibration-status"
LIVE_SENSOR_TABLE = "live-sensor-table"
LIVE_ALERTS = "live-alerts"

# Live page: the measurement.
LIVE_ANGLE_GRAPH = "live-angle-graph"
LIVE_ANGLE_VALUE = "live-angle-value"
LIVE_ANGLE_ZONE = "live-angle-zone"
LIVE_REP_COUNT = "live-rep-count"
LIVE_REP_PROGRESS = "live-rep-progress"
LIVE_REP_FEEDBACK = "live-rep-feedback"

# Live page: timers and client-side state.
LIVE_FAST_INTERVAL = "live-fast-interval"
LIVE_SLOW_INTERVAL = "live-slow-interval"
LIVE_CURSOR = "live-cursor"

# Home page.
HOME_LIVE_LINK = "home-live-link"

# Replay page (a recorded session through the live view).
# -- replay ids --

# Sessions page.
# -- sessions ids --

# Progress page.
# -- progress ids --

# Routine page.
# -- routine ids --

# Import page.
# -- import ids --
