"""Component ids of every Dash page, in one place so that pages, callbacks and tests agree."""

from __future__ import annotations

# Live page: controls.
LIVE_CONNECT = "live-connect"
LIVE_SCAN = "live-scan"
LIVE_IN_RANGE = "live-in-range"
LIVE_RECALIBRATE = "live-recalibrate"

# Live page: status lines.
LIVE_CONNECTION_STATUS = "live-connection-status"
LIVE_CALIBRATION_STATUS = "live-calibration-status"
LIVE_SENSOR_TABLE = "live-sensor-table"
LIVE_ALERTS = "live-alerts"

# Live page: the measurement.
LIVE_ANGLE_GRAPH = "live-angle-graph"
LIVE_ANGLE_VALUE = "live-angle-value"
LIVE_REP_COUNT = "live-rep-count"
LIVE_REP_FEEDBACK = "live-rep-feedback"

# Live page: timers and client-side state.
LIVE_FAST_INTERVAL = "live-fast-interval"
LIVE_SLOW_INTERVAL = "live-slow-interval"

# The live view (dashboard.live_view), the same on Live and Replay: its ids are f"{prefix}-{part}".
VIEW_PARTS = (
    "angle-graph",
    "angle-value",
    "angle-zone",
    "rep-label",
    "rep-count",
    "rep-target",
    "rep-progress",
    "rep-feedback",
    "hold-ring",
    "hold-text",
    "alerts",
    "stamp",
    "state",
    "trace",
    "trace-drawn",
)


def view_id(prefix: str, part: str) -> str:
    """Id of one part of the live view shown with `prefix` ("live" or "replay")."""
    if part not in VIEW_PARTS:
        raise ValueError(f"unknown live view part {part!r}")
    return f"{prefix}-{part}"


# Live page: the set, the leg, the exercise choice, the pain rating, the routine.
LIVE_EXERCISE_GROUP = "live-exercise-group"
LIVE_EXERCISE_CHOICE = "live-exercise-choice"  # pattern-matching type, key "exercise"
LIVE_EXERCISE_TITLE = "live-exercise-title"
LIVE_EXERCISE_INSTRUCTION = "live-exercise-instruction"
LIVE_LEG_GROUP = "live-leg-group"
LIVE_LEG_CHOICE = "live-leg-choice"  # pattern-matching type, key "leg"
LIVE_PAUSE = "live-pause"
LIVE_END_SET = "live-end-set"
LIVE_START_SET = "live-start-set"
LIVE_SET_STATUS = "live-set-status"
LIVE_PAIN_PANEL = "live-pain-panel"
LIVE_PAIN_CHOICE = "live-pain-choice"  # pattern-matching type, key "pain"
LIVE_PAIN_STATUS = "live-pain-status"
LIVE_PAIN_SET = "live-pain-set"
LIVE_CALIBRATION_STEP = "live-calibration-step"
LIVE_ROUTINE = "live-routine"
LIVE_ROUTINE_NEXT = "live-routine-next"

# Home page.
HOME_LIVE_LINK = "home-live-link"
HOME_PAGE_LINKS = "home-page-links"

# Replay page (a recorded session through the live view).
# -- replay ids --
REPLAY_TOKEN = "replay-token"
REPLAY_PLAY = "replay-play"
REPLAY_SPEED_CHOICE = "replay-speed-choice"  # pattern-matching type, key "speed"
REPLAY_SET_CHOICE = "replay-set-choice"  # pattern-matching type, key "set"
REPLAY_SEEK_INPUT = "replay-seek-input"
REPLAY_SEEK_GO = "replay-seek-go"
REPLAY_BACK = "replay-back"
REPLAY_FORWARD = "replay-forward"
REPLAY_POSITION = "replay-position"
REPLAY_INTERVAL = "replay-interval"
REPLAY_PROBLEM = "replay-problem"

# Sessions page.
# -- sessions ids --
SESSIONS_FILTER_STATE = "sessions-filter-state"
SESSIONS_FILTER_SINCE = "sessions-filter-since"
SESSIONS_FILTER_UNTIL = "sessions-filter-until"
SESSIONS_COUNT = "sessions-count"
SESSIONS_TABLE = "sessions-table"
SESSIONS_ROWS = "sessions-rows"
SESSIONS_DETAIL_ID = "sessions-detail-id"
SESSIONS_PENDING = "sessions-pending"
SESSIONS_SET_TABLE = "sessions-set-table"
SESSIONS_GRAPH = "sessions-graph"
SESSIONS_GRAPH_STATUS = "sessions-graph-status"
SESSIONS_ZOOM = "sessions-zoom"
SESSIONS_MESSAGE = "sessions-message"

# Progress page.
# -- progress ids --
PROGRESS_LEG = "progress-leg"
PROGRESS_CONTENT = "progress-content"
PROGRESS_DEMO_NOTE = "progress-demo-note"
PROGRESS_KTW_SUMMARY = "progress-ktw-summary"
PROGRESS_KTW_GRAPH = "progress-ktw-graph"
PROGRESS_KTW_TABLE = "progress-ktw-table"
PROGRESS_PEAK_GRAPH = "progress-peak-graph"
PROGRESS_VOLUME_GRAPH = "progress-volume-graph"
PROGRESS_ADHERENCE_GRAPH = "progress-adherence-graph"
PROGRESS_ADHERENCE_SUMMARY = "progress-adherence-summary"
PROGRESS_ASYMMETRY_SUMMARY = "progress-asymmetry-summary"
PROGRESS_ASYMMETRY_GRAPH = "progress-asymmetry-graph"

# Routine page.
# -- routine ids --
ROUTINE_STIFFNESS = "routine-stiffness"
ROUTINE_EXPLANATION = "routine-explanation"
ROUTINE_STEPS = "routine-steps"
ROUTINE_START_PREFIX = "routine-start-"  # + the step's number, from 1

# Import page.
# -- import ids --
IMPORT_KIND = "import-kind"
IMPORT_LEG = "import-leg"
IMPORT_EXERCISE = "import-exercise"
IMPORT_CSV_UPLOAD = "import-csv-upload"
IMPORT_SHIN_UPLOAD = "import-shin-upload"
IMPORT_FOOT_UPLOAD = "import-foot-upload"
IMPORT_CSV_FILE = "import-csv-file"
IMPORT_SHIN_FILE = "import-shin-file"
IMPORT_FOOT_FILE = "import-foot-file"
IMPORT_CSV_GROUP = "import-csv-group"
IMPORT_XSENS_GROUP = "import-xsens-group"
IMPORT_BUTTON = "import-button"
IMPORT_RESULT = "import-result"
