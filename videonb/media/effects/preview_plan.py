"""What the procedural preview reads in a prompt: the word lists (colours, scenes, elements,
times of day, motion) and :class:`PreviewPlan`, the scene it decides to draw."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...errors import InvalidOptionError
from .camera import CameraMove, parse_camera_motion

__all__ = ["PreviewPlan"]

_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (205, 40, 40), "crimson": (180, 20, 50), "scarlet": (225, 35, 30),
    "orange": (245, 135, 30), "amber": (245, 170, 40), "golden": (240, 185, 60), "gold": (240, 185, 60),
    "yellow": (240, 215, 60), "green": (60, 165, 70), "emerald": (20, 150, 90), "lime": (150, 215, 60),
    "teal": (20, 140, 140), "turquoise": (50, 200, 190), "cyan": (40, 200, 230), "aqua": (60, 210, 220),
    "blue": (45, 105, 215), "azure": (60, 140, 240), "navy": (20, 35, 100), "purple": (130, 60, 190),
    "violet": (140, 80, 220), "lavender": (175, 150, 225), "magenta": (220, 40, 170),
    "pink": (240, 120, 175), "rose": (230, 110, 140), "white": (245, 245, 245), "silver": (200, 205, 215),
    "grey": (128, 130, 135), "gray": (128, 130, 135), "black": (15, 15, 20), "brown": (120, 80, 45),
    "bronze": (170, 115, 55), "copper": (185, 100, 60), "neon": (255, 60, 200),
}
_TARGETS: dict[str, str] = {
    **dict.fromkeys(["sky", "skies", "heaven", "heavens"], "sky"),
    **dict.fromkeys(["water", "sea", "seas", "ocean", "oceans", "waves", "wave", "lake", "river",
                     "bay"], "water"),
    **dict.fromkeys(["mountain", "mountains", "hills", "hill", "peaks", "peak", "cliffs", "cliff",
                     "rocks", "rock", "ridges", "canyon"], "terrain"),
    **dict.fromkeys(["trees", "tree", "forest", "forests", "leaves", "woods", "jungle", "grass",
                     "meadow", "meadows", "field", "fields", "pines"], "vegetation"),
    **dict.fromkeys(["buildings", "building", "city", "skyline", "skyscrapers", "towers", "town"],
                    "buildings"),
    **dict.fromkeys(["lights", "windows", "lamps", "signs"], "lights"),
    **dict.fromkeys(["sand", "desert", "dunes", "dune"], "sand"),
    **dict.fromkeys(["light", "sunlight", "sun", "glow", "sunset", "sunrise", "dawn", "hour", "horizon",
                     "dusk", "twilight", "haze"], "light"),
    **dict.fromkeys(["clouds", "cloud", "fog", "mist"], "clouds"),
    **dict.fromkeys(["fire", "flames", "flame", "lava", "embers", "blaze"], "fire"),
    **dict.fromkeys(["nebula", "galaxy", "space", "cosmos", "stars", "universe"], "nebula"),
    **dict.fromkeys(["planet", "planets", "moon"], "planet"),
}
_SCENE_WORDS: dict[str, str] = {
    **dict.fromkeys(["ocean", "oceans", "sea", "seas", "seascape", "waves", "wave", "beach", "beaches",
                     "coast", "coastline", "shore", "surf", "lake", "water", "harbor", "harbour", "bay",
                     "island", "sailing"], "ocean"),
    **dict.fromkeys(["forest", "forests", "trees", "tree", "woods", "woodland", "jungle", "pine", "pines",
                     "rainforest"], "forest"),
    **dict.fromkeys(["city", "cities", "buildings", "building", "skyline", "skyscraper", "skyscrapers",
                     "town", "downtown", "street", "streets", "urban", "metropolis", "cityscape"], "city"),
    **dict.fromkeys(["mountain", "mountains", "peaks", "peak", "alps", "cliffs", "cliff", "volcano",
                     "summit", "ridge", "ridges"], "mountains"),
    **dict.fromkeys(["desert", "deserts", "dunes", "dune", "sand", "sandy", "sahara", "canyon"], "desert"),
    **dict.fromkeys(["snow", "snowy", "snowing", "snowfall", "winter", "blizzard", "ice", "icy", "frozen",
                     "arctic", "glacier", "snowflakes"], "snow"),
    **dict.fromkeys(["space", "galaxy", "galaxies", "nebula", "planet", "planets", "cosmos", "cosmic",
                     "universe", "astronaut", "spaceship"], "space"),
    **dict.fromkeys(["hills", "hill", "meadow", "meadows", "field", "fields", "grass", "grassland", "valley",
                     "countryside", "landscape", "prairie", "farm"], "countryside"),
    **dict.fromkeys(["fire", "fires", "flames", "flame", "burning", "campfire", "bonfire", "blaze",
                     "inferno", "lava"], "fire"),
    **dict.fromkeys(["rain", "raining", "rainy", "storm", "stormy", "downpour", "drizzle", "thunderstorm",
                     "rainstorm"], "rain"),
}
_ELEMENT_WORDS: dict[str, str] = {
    **dict.fromkeys(["bird", "birds", "flock", "seagull", "seagulls", "gulls", "gull", "eagle", "eagles",
                     "dove", "doves"], "birds"),
    **dict.fromkeys(["cloud", "clouds", "cloudy", "overcast"], "clouds"),
    **dict.fromkeys(["stars", "star", "starry", "starlit"], "stars"),
    **dict.fromkeys(["sun", "sunny", "sunshine", "sunlight"], "sun"),
    **dict.fromkeys(["moon", "moonlight", "moonlit"], "moon"),
    **dict.fromkeys(["fog", "foggy", "mist", "misty", "haze", "hazy"], "fog"),
    **dict.fromkeys(["lightning", "thunder", "thunderstorm"], "lightning"),
}
_TIME_WORDS: dict[str, str] = {
    **dict.fromkeys(["sunset", "sundown", "evening"], "sunset"),
    **dict.fromkeys(["sunrise", "dawn", "daybreak", "morning"], "sunrise"),
    **dict.fromkeys(["dusk", "twilight"], "dusk"),
    **dict.fromkeys(["night", "nighttime", "midnight", "moonlit", "moonlight", "dark"], "night"),
    **dict.fromkeys(["day", "daytime", "noon", "midday", "sunny", "afternoon", "bright", "daylight"], "day"),
}
_MOTION_WORDS: dict[str, str] = {
    **dict.fromkeys(["flying", "fly", "flies", "flight", "soaring", "soar", "soars", "gliding",
                     "flyover", "flythrough"], "flying"),
    **dict.fromkeys(["drifting", "drift", "drifts", "floating", "float", "floats", "swaying", "flowing",
                     "wafting"], "drifting"),
    **dict.fromkeys(["spinning", "spin", "spins", "swirling", "swirl", "swirls", "twirling", "whirling"],
                    "spinning"),
    **dict.fromkeys(["timelapse"], "timelapse"),
}
_PHRASES: list[tuple[str, str, str]] = [  # (regex, kind, value)
    (r"\bgolden\s+hour\b", "time", "sunset"), (r"\bblue\s+hour\b", "time", "dusk"),
    (r"\bouter\s+space\b", "scene", "space"), (r"\bmilky\s+way\b", "element", "stars"),
    (r"\btime\s*-?\s*lapse\b", "motion", "timelapse"), (r"\bnight\s+sky\b", "time", "night"),
    (r"\bnorthern\s+lights\b", "element", "stars"),
]
_STOPWORDS = set("""a an the of in on at with and or over under above below through into from to by for while
is are be being some very camera shot scene video view its their his her that this these those there
here it as like near across around along toward towards between behind beyond up down left right out
off back then who which where when just one two few many lots lot full me my our your we you they them
she he shows showing show make made let see seen looking look onto upon within without during after
before again also than too more most much""".split())
_SCENES = ("ocean", "forest", "city", "mountains", "desert", "snow", "space", "countryside", "fire", "rain")


@dataclass
class PreviewPlan:
    """What :func:`procedural_preview` understood in a prompt and chose to draw.

    Attributes:
        scene: the main scene (first scene word of the prompt; ``"countryside"`` when none).
        layers: the scene parts drawn, back to front (e.g. ``["sky", "clouds", "mountains", "ocean"]``).
        time_of_day: ``"day"``, ``"sunrise"``, ``"sunset"``, ``"dusk"``, ``"night"`` or ``"space"``.
        colours: colour word per target (``{"sky": "red", "light": "golden", "accent": "blue"}``).
        weather: ``"rain"``, ``"snow"``, ``"fog"``, ``"lightning"`` when asked for.
        elements: moving or extra elements (``"birds"``, ``"clouds"``, ``"stars"``, ``"fire"``...).
        motion: motion words understood (``"flying"``, ``"drifting"``, ``"spinning"``, ``"timelapse"``).
        camera: the camera move (from :func:`parse_camera_motion`, or implied by a motion word).
        camera_source: ``"prompt"``, ``"implied by 'flying'"``/``"implied by 'drifting'"`` or ``"none"``.
        recognised: every understood term, in prompt order.
        ignored: content words that were *not* understood (nothing was drawn for them).
    """

    prompt: str
    scene: str = "countryside"
    layers: list[str] = field(default_factory=list)
    time_of_day: str = "day"
    colours: dict[str, str] = field(default_factory=dict)
    weather: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    motion: list[str] = field(default_factory=list)
    camera: CameraMove = field(default_factory=CameraMove)
    camera_source: str = "none"
    recognised: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)
    seed: int = 0
    size: tuple[int, int] = (640, 360)
    fps: float = 24
    seconds: float = 4.0
    frames: int = 0

    def summary(self) -> str:
        """One paragraph for the user: what was drawn and what was not understood."""
        parts = [f"Local procedural preview (not a generative model): {self.scene} scene, "
                 + self.time_of_day]
        if self.colours:
            parts.append("colours " + ", ".join(f"{v} {k}" for k, v in self.colours.items()))
        if self.weather:
            parts.append("weather " + ", ".join(self.weather))
        if self.elements:
            parts.append("elements " + ", ".join(self.elements))
        if self.motion:
            parts.append("motion " + ", ".join(self.motion))
        parts.append(f"camera: {self.camera.description or 'static'}")
        text = "; ".join(parts) + "."
        if self.ignored:
            text += " Not understood (not drawn): " + ", ".join(self.ignored) + "."
        return text


def _plan_preview(prompt: str) -> PreviewPlan:
    if not isinstance(prompt, str):
        raise InvalidOptionError(f"prompt must be a string, not {type(prompt).__name__}.")
    plan = PreviewPlan(prompt=prompt)
    text = prompt.lower().replace("-", " ")
    hits: list[tuple[int, str, str, str]] = []  # (position, kind, value, term)
    for pattern, kind, value in _PHRASES:
        for m in re.finditer(pattern, text):
            hits.append((m.start(), kind, value, m.group(0)))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    tokens = [(m.start(), m.group(0)) for m in re.finditer(r"[a-z0-9]+", text)]
    camera = parse_camera_motion(prompt)
    camera_words = set(" ".join(camera.matched_terms).split())
    used: set[int] = set()
    for i, (pos, tok) in enumerate(tokens):
        if tok in _COLOURS:
            target = "lights" if tok == "neon" else "accent"
            for j in range(i + 1, min(i + 4, len(tokens))):
                if tokens[j][1] in _TARGETS and tok != "neon":
                    target = _TARGETS[tokens[j][1]]
                    break
                if tokens[j][1] in _COLOURS:
                    break
            hits.append((pos, "colour", f"{tok}:{target}", tok if target == "accent" else f"{tok} {target}"))
            used.add(i)
        recognised = False
        for table, kind in ((_SCENE_WORDS, "scene"), (_TIME_WORDS, "time"), (_ELEMENT_WORDS, "element"),
                            (_MOTION_WORDS, "motion")):
            if tok in table:
                hits.append((pos, kind, table[tok], tok))
                recognised = True
        if recognised:
            used.add(i)
    hits.sort()
    seen_terms: list[str] = []
    scenes: list[str] = []
    for _pos, kind, value, term in hits:
        if term not in seen_terms:
            seen_terms.append(term)
        if kind == "scene" and value not in scenes:
            scenes.append(value)
        elif kind == "time":
            plan.time_of_day = value
        elif kind == "element" and value not in plan.elements:
            plan.elements.append(value)
        elif kind == "motion" and value not in plan.motion:
            plan.motion.append(value)
        elif kind == "colour":
            name, target = value.split(":")
            plan.colours.setdefault(target, name)
    if "rain" in scenes:
        plan.weather.append("rain")
    if "snow" in scenes and re.search(r"\b(?:snow|snowing|snowfall|blizzard|snowflakes)\b", text):
        plan.weather.append("snow")
    if "fog" in plan.elements:
        plan.weather.append("fog")
    if "lightning" in plan.elements:
        plan.weather.append("lightning")
    if "fire" in scenes and "fire" not in plan.elements:
        plan.elements.append("fire")
    ground_scenes = [s for s in scenes if s not in ("rain", "fire", "snow")] or \
        [s for s in scenes if s == "snow"]
    plan.scenes = scenes
    plan.scene = ground_scenes[0] if ground_scenes else ("fire" if "fire" in scenes else "countryside")
    if "space" in scenes:
        plan.time_of_day = "space"
    elif plan.time_of_day == "day" and not any(k == "time" for _p, k, _v, _t in hits):
        if "moon" in plan.elements or "stars" in plan.elements:
            plan.time_of_day = "night"
    # Camera: the prompt's own words, else what a motion word implies.
    if camera.recognised:
        plan.camera, plan.camera_source = camera, "prompt"
        seen_terms = list(dict.fromkeys(camera.matched_terms + seen_terms))
    elif "flying" in plan.motion and "birds" not in plan.elements:
        plan.camera = CameraMove(zoom=0.2, ease="linear", description="push in (flying forward)")
        plan.camera_source = "implied by 'flying'"
    elif "drifting" in plan.motion:
        plan.camera = CameraMove(pan_x=0.1, ease="linear", description="slow pan right (drifting)")
        plan.camera_source = "implied by 'drifting'"
    else:
        plan.camera = CameraMove(description="static camera")
    if "flying" in plan.motion and "birds" not in plan.elements and plan.camera_source == "prompt":
        plan.elements.append("birds")
    plan.recognised = seen_terms
    ignored = []
    for i, (_pos, tok) in enumerate(tokens):
        if i in used or tok in _STOPWORDS or tok in camera_words or len(tok) < 3 or tok.isdigit():
            continue
        if tok in _TARGETS or tok in ("sky", "light"):
            continue
        if tok not in ignored:
            ignored.append(tok)
    plan.ignored = ignored
    return plan
