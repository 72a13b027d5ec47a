"""The routine's exercises, in the guide's order: their specs and analysers (`SPECS`, `spec(name)`)."""

from __future__ import annotations

from processing.exercises import circles, eccentric_drop, holds, knee_to_wall, releases, reps
from processing.exercises.base import ExerciseSpec

_ROUTINE = (
    ExerciseSpec(
        name="ankle_circles",
        title="Ankle circles",
        primary_role="foot",
        shin_first_excursion_sign=+1,
        foot_on_ground=False,
        target_count=20,
        target_unit="circles",
        target_hold_s=None,
        instruction="Sitting with the foot off the floor, draw slow big circles with your toes: 20 one way, "
        "then 20 the other way.",
        make=circles.ankle_circles,
    ),
    ExerciseSpec(
        name="calf_release",
        title="Calf release on a foam roller",
        primary_role="shin",
        shin_first_excursion_sign=-1,
        foot_on_ground=False,
        target_count=60,
        target_unit="s",
        target_hold_s=None,
        instruction="Sitting on the floor with your calf on the foam roller, roll slowly up and down and side "
        "to side for 1 to 3 minutes; only the time you roll counts.",
        make=releases.calf_release,
    ),
    ExerciseSpec(
        name="achilles_release",
        title="Achilles release on a ball",
        primary_role="foot",
        shin_first_excursion_sign=-1,
        foot_on_ground=False,
        target_count=60,
        target_unit="s",
        target_hold_s=None,
        instruction="Sitting on the floor with your heel and Achilles tendon on the ball, roll your foot over it "
        "gently for 1 to 3 minutes; only the time you roll counts.",
        make=releases.achilles_release,
    ),
    ExerciseSpec(
        name="gastrocnemius_stretch",
        title="Calf stretch on a step (knee straight)",
        primary_role="foot",
        shin_first_excursion_sign=+1,
        foot_on_ground=True,
        target_count=3,
        target_unit="holds",
        target_hold_s=30.0,
        instruction="Stand with the front of your foot on a step, knee straight, and let the heel drop below "
        "the step until you feel the calf stretch; hold 30 seconds, 3 times.",
        make=holds.gastrocnemius_stretch,
    ),
    ExerciseSpec(
        name="soleus_stretch",
        title="Lower calf stretch (knee bent)",
        primary_role="shin",
        shin_first_excursion_sign=+1,
        foot_on_ground=True,
        target_count=3,
        target_unit="holds",
        target_hold_s=30.0,
        instruction="In a lunge with the back knee bent and the heel on the floor, lean the knee forward until "
        "you feel the stretch low in the calf; hold 30 seconds, 3 times.",
        make=holds.soleus_stretch,
    ),
    ExerciseSpec(
        name="traction",
        title="Ankle traction with a helper",
        primary_role="shin",
        shin_first_excursion_sign=-1,
        foot_on_ground=False,
        target_count=3,
        target_unit="holds",
        target_hold_s=30.0,
        instruction="Lie on your back with the leg straight and the foot relaxed; your helper gently pulls the "
        "foot up towards you and holds it 30 seconds, 3 times, with a short rest in between.",
        make=holds.traction,
    ),
    ExerciseSpec(
        name="band_mobilisation",
        title="Ankle mobilisation with a band",
        primary_role="shin",
        shin_first_excursion_sign=+1,
        foot_on_ground=True,
        target_count=30,
        target_unit="reps",
        target_hold_s=None,
        instruction="In a lunge with the band around your ankle and your heel down, move the knee forward over "
        "the toes as far as is comfortable and back: 30 times.",
        make=reps.band_mobilisation,
    ),
    ExerciseSpec(
        name="seated_dorsiflexion_hold",
        title="Seated toe lifts with hold",
        primary_role="foot",
        shin_first_excursion_sign=+1,
        foot_on_ground=False,
        target_count=20,
        target_unit="holds",
        target_hold_s=10.0,
        instruction="Sitting with your heel on the floor, lift the front of your foot as high as you can, hold "
        "10 seconds and lower it: 20 times.",
        make=holds.seated_dorsiflexion_hold,
    ),
    ExerciseSpec(
        name="eccentric_drop",
        title="Eccentric toe drops",
        primary_role="foot",
        shin_first_excursion_sign=-1,
        foot_on_ground=True,
        target_count=30,
        target_unit="reps",
        target_hold_s=None,
        instruction="Standing, lift the front of your foot, hold it up 5 seconds, then lower it slowly over at "
        "least 2 seconds: 30 times.",
        make=eccentric_drop.EccentricDrop,
    ),
    ExerciseSpec(
        name="nerve_flossing",
        title="Nerve flossing",
        primary_role="foot",
        shin_first_excursion_sign=-1,
        foot_on_ground=False,
        target_count=20,
        target_unit="reps",
        target_hold_s=None,
        instruction="Sitting with your leg straight out on a bench, point your foot away, then pull the toes "
        "back towards you, and relax: 20 times, gently.",
        make=reps.nerve_flossing,
    ),
    ExerciseSpec(
        name="knee_to_wall",
        title="Knee-to-wall test",
        primary_role="shin",
        shin_first_excursion_sign=+1,
        foot_on_ground=True,
        target_count=3,
        target_unit="attempts",
        target_hold_s=None,
        instruction="Facing a wall in a lunge, keep the heel down and push the knee forward until it touches "
        "the wall, hold 1 to 2 seconds and come back: 3 attempts, moving the foot back until you just reach it.",
        make=knee_to_wall.knee_to_wall,
    ),
)

SPECS: dict[str, ExerciseSpec] = {s.name: s for s in _ROUTINE}


def spec(name: str) -> ExerciseSpec:
    """The spec of an exercise by its DESIGN section 5 name.

    Raises
    ------
    ValueError : unknown name (the message lists the known ones).
    """
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}; known: {', '.join(SPECS)}") from None
