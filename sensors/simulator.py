"""Motion simulator of the shin and foot sensors: scripted exercises, ground truth and MotionSources."""

from sensors.simulation.body import LegKinematics
from sensors.simulation.cases import draw_case, random_case
from sensors.simulation.demo import DEMO_ORDER, DemoRoutine, demo_routine
from sensors.simulation.exercises import EXERCISES, SPECS, ExerciseSpec
from sensors.simulation.imu import ErrorModel, ImuErrors, SensorMotion
from sensors.simulation.link import LinkModel, LinkTrace
from sensors.simulation.session import SimulatedSession, sample_block, simulate
from sensors.simulation.truth import (
    ActivityTruth,
    AttemptTruth,
    CircleTruth,
    CompensationTruth,
    HoldTruth,
    RepTruth,
    Truth,
)

__all__ = [
    "DEMO_ORDER",
    "EXERCISES",
    "SPECS",
    "ActivityTruth",
    "AttemptTruth",
    "CircleTruth",
    "CompensationTruth",
    "DemoRoutine",
    "ErrorModel",
    "ExerciseSpec",
    "HoldTruth",
    "ImuErrors",
    "LegKinematics",
    "LinkModel",
    "LinkTrace",
    "RepTruth",
    "SensorMotion",
    "SimulatedSession",
    "Truth",
    "demo_routine",
    "draw_case",
    "random_case",
    "sample_block",
    "simulate",
]
