"""Qualification levels and exam subjects: the national scheme (DOMAIN.md)."""

import enum

from flask_babel import lazy_gettext as _l


class Level(str, enum.Enum):
    local = "local"
    assistant = "assistant"
    intermediate = "intermediate"
    senior = "senior"

    @property
    def rank(self) -> int:
        return RANKS[self]

    @property
    def label(self):
        return LEVEL_LABELS[self]

    @property
    def ce_hours(self) -> int:
        """Continuing-education hours required per registration period."""
        return 90 if self in (Level.intermediate, Level.senior) else 72


RANKS = {Level.local: 0, Level.assistant: 1, Level.intermediate: 2, Level.senior: 3}
LEVEL_LABELS = {
    Level.local: _l("Social worker (local)"),
    Level.assistant: _l("Assistant social work practitioner"),
    Level.intermediate: _l("Social work practitioner"),
    Level.senior: _l("Senior social work practitioner"),
}
LEVEL_ZH = {
    Level.local: "社会工作员",
    Level.assistant: "助理社会工作师",
    Level.intermediate: "社会工作师",
    Level.senior: "高级社会工作师",
}
LEVEL_ALIASES = {**{lv.value: lv for lv in Level}, **{zh: lv for lv, zh in LEVEL_ZH.items()}}

# code -> (level, Chinese name, English name)
SUBJECTS = {
    "A1": (Level.assistant, "社会工作综合能力(初级)", "Comprehensive ability (assistant)"),
    "A2": (Level.assistant, "社会工作实务(初级)", "Practice (assistant)"),
    "I1": (Level.intermediate, "社会工作综合能力(中级)", "Comprehensive ability (intermediate)"),
    "I2": (Level.intermediate, "社会工作实务(中级)", "Practice (intermediate)"),
    "I3": (Level.intermediate, "社会工作法规与政策", "Laws and policies"),
    "S1": (Level.senior, "社会工作实务(高级)", "Practice (senior)"),
}
SUBJECT_ALIASES = {
    **{code: code for code in SUBJECTS},
    **{code.lower(): code for code in SUBJECTS},
    **{zh: code for code, (_lv, zh, _en) in SUBJECTS.items()},
    # Excel users type full-width brackets as often as half-width ones.
    **{zh.replace("(", "（").replace(")", "）"): code for code, (_lv, zh, _en) in SUBJECTS.items()},
}


def subjects_of(level: Level) -> list[str]:
    return [code for code, (lv, _zh, _en) in SUBJECTS.items() if lv == level]


def subject_name(code: str, lang: str = "zh") -> str:
    _lv, zh, en = SUBJECTS[code]
    return en if lang == "en" else zh
