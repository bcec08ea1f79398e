"""The progress page's tables as files: Chinese headers (English with lang="en"), counts as
numbers, shares as plain numbers with one decimal."""

from app.core.exporting import write_csv, write_xlsx
from app.exams.levels import LEVEL_ZH
from app.reports.progress import LEVELS, TRACKS, ProgressReport
from app.training.models import Track

TRACK_ZH = {Track.pre_exam: "考前公益培训", Track.knowledge: "社会工作知识普及培训", Track.backbone: "社区社工骨干培训"}
TRACK_EN = {
    Track.pre_exam: "Pre-exam training",
    Track.knowledge: "Knowledge training",
    Track.backbone: "Backbone training",
}
LEVEL_EN = {lv: lv.value for lv in LEVELS}
TOTAL = {"zh": "合计", "en": "Total"}
TABLES = ("training", "certified", "certified_years", "exams")


def _h(lang: str, en: str, zh: str) -> str:
    return en if lang == "en" else zh


def training_file(report: ProgressReport, lang: str) -> tuple[list[str], list[tuple]]:
    names = TRACK_EN if lang == "en" else TRACK_ZH
    headers = [_h(lang, "year", "年度"), *[names[t] for t in TRACKS], _h(lang, "any track", "任一项目(去重)")]
    rows = [(year if year else TOTAL[lang], *counts, any_track) for year, counts, any_track in report.training.rows()]
    target = report.target
    rows.append((_h(lang, "target", "目标"), *[None for _t in TRACKS], target.target))
    rows.append((_h(lang, "reached (%)", "完成比例(%)"), *[None for _t in TRACKS], float(target.percent)))
    return headers, rows


def certified_file(report: ProgressReport, lang: str) -> tuple[list[str], list[tuple]]:
    names = LEVEL_EN if lang == "en" else LEVEL_ZH
    headers = [
        _h(lang, "district_code", "区县代码"),
        _h(lang, "district", "区县"),
        *[names[lv] for lv in LEVELS],
        _h(lang, "certified", "持证人数"),
    ]
    table = report.certified
    rows = [(r.code, r.name, *[r.counts[lv] for lv in LEVELS], r.total) for r in table.rows]
    total = table.total
    rows.append(("", TOTAL[lang], *[total.counts[lv] for lv in LEVELS], total.total))
    return headers, rows


def certified_years_file(report: ProgressReport, lang: str) -> tuple[list[str], list[tuple]]:
    names = LEVEL_EN if lang == "en" else LEVEL_ZH
    headers = [_h(lang, "year_end", "年末(截至)"), *[names[lv] for lv in LEVELS], _h(lang, "certified", "持证人数")]
    rows = []
    for table in report.certified_years:
        total = table.total
        rows.append((table.day, *[total.counts[lv] for lv in LEVELS], total.total))
    return headers, rows


def exams_file(report: ProgressReport, lang: str) -> tuple[list[str], list[tuple]]:
    headers = [
        _h(lang, "exam_year", "考试年度"),
        _h(lang, "sat", "参考科次"),
        _h(lang, "passed", "合格科次"),
        _h(lang, "pass_rate_pct", "合格率(%)"),
    ]
    return headers, [(int(r.key), r.sat, r.passed, r.percent) for r in report.exams]


BUILDERS = {
    "training": training_file,
    "certified": certified_file,
    "certified_years": certified_years_file,
    "exams": exams_file,
}


def export_table(report: ProgressReport, table: str, fmt: str, lang: str = "zh") -> bytes:
    headers, rows = BUILDERS[table](report, lang)
    if fmt == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, sheet_title=table, text_columns=(0,) if table == "certified" else ())


def file_name(report: ProgressReport, table: str, fmt: str) -> str:
    suffix = f"-{report.year}" if table == "certified" else ""
    return f"progress-{table}{suffix}-asof-{report.as_of:%Y%m%d}.{fmt}"
