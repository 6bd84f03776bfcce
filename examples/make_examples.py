"""Write the example workbooks (maintainer script; the .xlsx files it writes are committed).

* 前进区人力资源和社会保障局-2022.xlsx: the seed report (shared/seed) in its own 2019 format,
  numbers and text as published, paragraph for paragraph and with its slips of punctuation
  (its heading and label mistakes are what the pack fixes; subsection titles that the
  publication ran into their paragraph stand in the title column).
* 临江市市场监督管理局-2024.xlsx: a realistic 2021-format report, non-zero and consistent in
  every table, with 临江市市场监督管理局-2023.xlsx as last year's workbook for --previous.

Run: python examples/make_examples.py   (then docx-report build each, see README)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from docx_report.pack import load_pack
from docx_report.workbook import write_workbook

HERE = Path(__file__).resolve().parent

APPLICANTS = ["natural", "business", "research", "welfare", "legal", "other"]


def requests_values(rows: dict[str, list[int]]) -> dict[str, int]:
    """Table 三 inputs from per-row lists in applicant order (totals are left to the tool)."""
    return {f"requests.{row}.{col}": n for row, ns in rows.items()
            for col, n in zip(APPLICANTS, ns, strict=True)}


def seed_2022() -> None:
    pack = load_pack("gov-disclosure-2019")
    values = {key: 0 for key in pack.value_cells()}
    overview = {
        "intro": ["2022年以来，我局在区政府的正确领导下，始终把做好政务公开工作为切入点和重要抓手，"
                  "与各项工作同部署、同推进、同落实,深入贯彻《中华人民共和国政府信息公开条例 》"
                  "等文件要求，"
                  "推进政务公开工作奋发有为，力争上游，不断提升政务公开的质量和实效，增强政府效能及群众"
                  "满意度，全力做到政务信息透明化和办事程序流程化，真正将利民、便民、惠民的服务理念贯彻到"
                  "工作实践中。现将政务公开工作情况报告如下："],
        "subsections": [
            {"title": "(一）主动公开情况", "paragraphs": [
                "我局根据区政府要求，对政府信息公开制度进行修订完善，及时编制更新发布政府信息公开指南。"
                "我局坚持以公开为常态、不公开为例外的原则，充分发挥前进区人民政府网站是政府信息公开第一"
                "平台的作用，积极主动公开人社领域政府信息。2022年，通过局网站“公示公告”栏目发布政策"
                "文件43件。"]},
            {"title": "（二）依申请公开办理情况", "paragraphs": [
                "2022年，前进区人社局认真履行政府信息公开申请受理义务，切实做好申请公开工作，广泛接受"
                "申请，着力协调处理好涉及民生申请，健全和完善依申请公开制度机制，满足人民对政府信息公开"
                "的需要。未收到依申请公开信件，未发生关于部门信息公开事务的行政复议案、行政诉讼案和有关"
                "的申诉案"]},
            {"title": "（三）政府信息管理情况", "paragraphs": [
                "在区人社局信息公开网主动公开相关文件，公民、法人和其他组织均可登陆网站，按照标题、文号"
                "等方式进行查询。严格执行政务公开各项制度，实行“三审”制度，对拟公开的政府信息，坚持"
                "“先审核、后公开”“谁公开、谁审核、谁负责”的原则，由相关的业务科室、分管领导、主要"
                "负责人逐级审核把关后方可公开，从源头上确保政府信息公开的安全和保密，把好文字关、政治观。按照《中华人民共和国"
                "政府信息公开条例》各项要求，依法依规转发相关政策法规和规范性文件。"]},
            {"title": "（四）政府信息公开平台建设情况", "paragraphs": [
                "结合上级要求和工作实际，完善政府信息公开栏目，加强工作人员学习培训，切实方便人民群众"
                "及时完整地获取政府信息。"]},
            {"title": "（五）监督保障情况", "paragraphs": [
                "修订单位政府信息公开制度，严格区分主动公开、依申请公开、不予公开工作信息。成立以党组"
                "书记、局长任组长，其他党组成员任副组长，各股室、二级机构负责人为成员的信息公开工作领导"
                "小组，明确分管领导主抓工作，局办公室具体汇总协调，并落实专人负责信息公开报送，确保政府"
                "信息公开工作运行正常。在公开工作中，坚持做到按制度公开、按要求公开、按程序公开，让干部、群众享有知情权、监督权，"
                "使信息公开工作走上规范化、制度化、法制化的道路。"]},
        ],
    }
    problems = {"intro": [], "subsections": [
        {"title": "（一）存在的不足", "paragraphs": [
            "信息公开的业务能力水平有待进一步提高，公开内容需进一步规范。"]},
        {"title": "（二）改进情况", "paragraphs": [
            "一是加强业务培训，进一步提高工作人员的思想认识和工作技能。全面改进和完善信息收集、整理和"
            "发布的运行体系，不断提升政府信息公开工作水平。二是提高创新意识，拓展公开渠道，进一步规范、细化信息公开工作检查考核制度，保证信息及时"
            "更新。"]},
    ]}
    other = {"intro": [
        "按照《国务院办公厅关于印发〈政府信息公开信息处理费管理办法〉的通知》（国办函〔2020〕109号）"
        "规定的按件、按量收费标准，我局本年度没有产生信息公开处理费。"], "subsections": []}
    write_workbook(
        pack, HERE / "前进区人力资源和社会保障局-2022.xlsx", force=True,
        facts={"agency": "前进区人力资源和社会保障局", "agency_kind": "政府部门", "year": 2022,
               "date": dt.date(2023, 1, 31)},
        values=values, narratives={"overview": overview, "problems": problems, "other": other})


def linjiang(year: int) -> None:
    pack = load_pack("gov-disclosure-2021")
    last = year == 2023
    values: dict[str, Any] = {
        "active.rules.made": 1 if last else 2, "active.rules.repealed": 0 if last else 1,
        "active.rules.valid": 14 if last else 15,
        "active.normative.made": 9 if last else 12, "active.normative.repealed": 4 if last else 3,
        "active.normative.valid": 77 if last else 86,
        "active.permit.decisions": 1174 if last else 1268,
        "active.penalty.decisions": 41 if last else 37,
        "active.enforcement.decisions": 6 if last else 4,
        "active.fees.amount": 22804.5 if last else 24252.311082,
    }
    zero = [0] * 6
    if last:
        rows = {"new": [40, 7, 0, 1, 2, 1], "carried": [2, 0, 0, 0, 0, 0],
                "public": [18, 4, 0, 1, 1, 1], "partial": [5, 1, 0, 0, 0, 0],
                "deny_third": [2, 0, 0, 0, 0, 0], "deny_process": [1, 0, 0, 0, 0, 0],
                "none_held": [8, 1, 0, 0, 1, 0], "none_unclear": [2, 0, 0, 0, 0, 0],
                "reject_petition": [3, 0, 0, 0, 0, 0], "carry_next": [3, 1, 0, 0, 0, 0]}
    else:
        rows = {"new": [48, 9, 1, 0, 3, 2], "carried": [3, 1, 0, 0, 0, 0],
                "public": [21, 4, 1, 0, 1, 1], "partial": [6, 2, 0, 0, 1, 0],
                "deny_law": [1, 0, 0, 0, 0, 0], "deny_third": [2, 1, 0, 0, 0, 0],
                "deny_internal": [1, 0, 0, 0, 0, 0], "deny_process": [2, 0, 0, 0, 0, 0],
                "deny_case": [1, 0, 0, 0, 0, 0], "deny_query": [1, 0, 0, 0, 0, 0],
                "none_held": [7, 1, 0, 0, 1, 0], "none_make": [1, 0, 0, 0, 0, 0],
                "none_unclear": [1, 0, 0, 0, 0, 0], "reject_petition": [2, 0, 0, 0, 0, 0],
                "reject_repeat": [1, 0, 0, 0, 0, 1], "reject_confirm": [1, 0, 0, 0, 0, 0],
                "other_overdue": [1, 0, 0, 0, 0, 0], "other_other": [0, 1, 0, 0, 0, 0],
                "carry_next": [2, 1, 0, 0, 0, 0]}
    for key in pack.value_cells():
        if key.startswith("requests.") and not key.endswith(".total"):
            row = key.split(".")[1]
            if row != "done_total":
                rows.setdefault(row, zero)
    values.update(requests_values(rows))
    review = ([2, 1, 0, 1], [1, 0, 1, 0], [0, 0, 0, 1]) if last else (
        [3, 1, 1, 1], [2, 0, 1, 1], [1, 0, 0, 1])
    for group, ns in zip(("review", "direct", "after"), review, strict=True):
        for col, n in zip(("upheld", "corrected", "other", "pending"), ns, strict=True):
            values[f"review.{group}.{col}"] = n
    total = sum(rows["new"])
    permits, penalties = values["active.permit.decisions"], values["active.penalty.decisions"]
    made = values["active.rules.made"] + values["active.normative.made"]
    review_total, suits = sum(review[0]), sum(review[1]) + sum(review[2])
    if last:  # last year's report: its own figures, in its own words
        overview = {
            "intro": [f"{year}年，临江市市场监督管理局认真贯彻《中华人民共和国政府信息公开条例》，"
                      "按照市政府政务公开工作要点，把政府信息公开融入市场监管执法和服务全过程，"
                      "着力提升公开质量和群众获得感。"],
            "subsections": [
                {"title": "（一）主动公开", "paragraphs": [
                    f"依托市政府门户网站集中发布政策文件{made}件；行政许可决定{permits}件、"
                    f"行政处罚决定{penalties}件全部按规定时限上网公开，接受社会监督。"]},
                {"title": "（二）依申请公开", "paragraphs": [
                    f"本年度共收到政府信息公开申请{total}件，另有上年结转申请"
                    f"{sum(rows['carried'])}件，全部依法按期答复，未发生逾期答复情况。",
                    f"被申请行政复议{review_total}件，被提起行政诉讼{suits}件。"]},
                {"title": "（三）政府信息管理", "paragraphs": [
                    "建立健全公开属性认定、保密审查和动态更新机制，对照权责清单梳理公开事项，"
                    "按季度更新主动公开目录。"]},
                {"title": "（四）政府信息公开平台建设", "paragraphs": [
                    "完成本局网站集约化迁移，统一栏目标准；开通政务服务热线与网站留言联动办理机制。"]},
                {"title": "（五）监督保障", "paragraphs": [
                    "明确办公室为政府信息公开工作机构，配备专职人员；开展业务培训，"
                    "将公开工作情况纳入科室年度考评。"]},
            ],
        }
        problems = {"intro": [], "subsections": [
            {"title": "（一）存在的主要问题", "paragraphs": [
                "基层所站公开意识不够强，部分栏目信息更新不够及时。"]},
            {"title": "（二）改进情况", "paragraphs": [
                "建立栏目更新提醒和通报制度，加强对基层所站的业务指导。"]},
        ]}
    else:
        overview = {
            "intro": [f"{year}年，临江市市场监督管理局坚持以习近平新时代中国特色社会主义思想"
                      "为指导，认真贯彻落实《中华人民共和国政府信息公开条例》和国家、省、市关于"
                      "政务公开工作的部署，围绕市场监管中心工作，持续深化政府信息公开，以公开促落实、促规范、促服务。"],
            "subsections": [
                {"title": "（一）主动公开", "paragraphs": [
                    f"全年通过市政府门户网站和本局网站主动公开政府信息2316条，其中政策文件{made}件、"
                    f"政策解读材料19篇；公开行政许可决定{permits}件、行政处罚决定{penalties}件，"
                    "均在作出决定之日起7个工作日内公开。",
                    "围绕食品安全、特种设备、产品质量等群众关注领域，发布抽检信息公告86期，及时回应社会关切。"]},
                {"title": "（二）依申请公开", "paragraphs": [
                    f"全年新收政府信息公开申请{total}件，上年结转{sum(rows['carried'])}件，均在法定期限内"
                    "答复。申请内容主要涉及企业登记档案、行政处罚案卷和抽检结果。",
                    f"因政府信息公开被申请行政复议{review_total}件、提起行政诉讼{suits}件，复议纠正"
                    f"{review[0][1]}件，已按复议决定重新答复。"]},
                {"title": "（三）政府信息管理", "paragraphs": [
                    "严格执行公开属性源头认定和保密审查制度，对全部现行有效规范性文件进行清理，废止3件，"
                    "并在网站集中公开现行有效规范性文件目录。"]},
                {"title": "（四）政府信息公开平台建设", "paragraphs": [
                    "优化本局网站“政府信息公开”专栏，规范栏目设置，完成无障碍和适老化改造；政务新媒体"
                    "发布信息1120条。"]},
                {"title": "（五）监督保障", "paragraphs": [
                    "调整政务公开工作领导小组，明确各科室、直属单位的公开职责；将政务公开纳入年度绩效考核，"
                    "组织专题培训2次，开展季度自查，发现问题当即整改。"]},
            ],
        }
        problems = {"intro": [], "subsections": [
            {"title": "（一）存在的主要问题", "paragraphs": [
                "一是部分政策解读形式较为单一；二是依申请公开答复的说理性有待加强。"]},
            {"title": "（二）改进情况", "paragraphs": [
                "下一步，我局将丰富图解、视频等解读形式，规范答复文书，加强业务培训，不断提升政府信息"
                "公开工作质量。"]},
        ]}
    other = {"intro": ["本年度未收取政府信息公开信息处理费。",
                       f"{year}年度政务公开工作要点确定的各项任务已全部完成。"], "subsections": []}
    write_workbook(
        pack, HERE / f"临江市市场监督管理局-{year}.xlsx", force=True,
        facts={"agency": "临江市市场监督管理局", "agency_kind": "政府部门", "year": year,
               "date": dt.date(year + 1, 1, 20)},
        values=values, narratives={"overview": overview, "problems": problems, "other": other},
        notes={"requests": []})


if __name__ == "__main__":
    seed_2022()
    linjiang(2023)
    linjiang(2024)
