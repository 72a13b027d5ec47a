"""Motion simulator of the shin and foot sensors: scripted exercises, ground truth and MotionSources."""

from sensors.simulation.body import ImuErrors, LegKinematics, SensorMotion
from sensors.simulation.session import (
    EXERCISES,
    DemoRoutine,
    HoldTruth,
    RepTruth,
    SimulatedSession,
    Truth,
    demo_routine,
    sample_block,
    simulate,
)

__all__ = [
    "EXERCISES",
    "DemoRoutine",
    "HoldTruth",
    "ImuErrors",
    "LegKinematics",
    "RepTruth",
    "SensorMotion",
    "SimulatedSession",
    "Truth",
    "demo_routine",
    "sample_block",
    "simulate",
]
