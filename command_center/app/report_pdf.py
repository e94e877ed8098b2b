"""An incident's report as a printable PDF in the layout of a government information report
(突发事件信息报告): heading, issuing unit and number, a facts table, the report timeline,
the response, and the sign-off lines. Drawn by Qt (QTextDocument → QPdfWriter), A4, with the
CJK fonts set-up installs; nothing is fetched."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from command_center.app.names import (
    ORDER_STATE_NAMES,
    SOURCE_NAMES,
    STAGE_NAMES,
    STATUS_NAMES,
    level_text,
)
from shared.client import SituationPicture
from shared.domain import classification
from shared.geo import county_seats

UNIT = "衡水市应急管理局"
NO_ORDERS = "<tr><td colspan='4'>尚未下达指令</td></tr>"
TABLE = "<table width='100%' border='1' cellspacing='0' cellpadding='4'>"
"""Qt's rich text takes table width and borders as attributes, not CSS."""


def report_html(picture: SituationPicture, incident_id: str, *, now: datetime | None = None) -> str:
    """The report as HTML (also used for the on-screen preview).

    Raises:
        KeyError: no open incident ``incident_id``.
    """
    inc = picture.incidents[incident_id]
    now = now or datetime.now(UTC)
    e = html.escape
    counties = {p.code: p.name for p in county_seats()}
    types = {t.code: t.name for t in classification().types}
    local = now.astimezone()
    drill = "（演练）" if inc.exercise else ""
    occurred = (
        inc.occurred.astimezone().strftime("%Y年%m月%d日 %H时%M分") if inc.occurred else "不详"
    )
    rows = [
        ("事件名称", e(inc.title)),
        ("事件编号", e(inc.incident_id)),
        ("事件类型", e(types.get(inc.type_code.split(".")[0], inc.type_code or "未分类"))),
        ("发生时间", occurred),
        (
            "发生地点",
            f"{e(counties.get(inc.division or '', '衡水市'))}（{inc.lat:.5f}, {inc.lon:.5f}）",
        ),
        ("事件等级", e(level_text(inc.level))),
        ("处置状态", e(STATUS_NAMES.get(inc.status, inc.status))),
        (
            "人员伤亡",
            f"死亡 {inc.dead} 人，失踪 {inc.missing} 人，重伤 {inc.seriously_injured} 人，"
            f"被困 {inc.trapped} 人，转移 {inc.evacuated} 人",
        ),
        ("直接经济损失", f"{inc.direct_loss_cny / 10_000:,.1f} 万元"),
    ]
    if inc.level_criteria:
        rows.append(("定级依据", e("；".join(inc.level_criteria))))
    table = "".join(f"<tr><td class='k'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    timeline = []
    for r in picture.reports_of(incident_id):
        attached = f"，附件 {len(r.attachments)} 件" if r.attachments else ""
        timeline.append(
            f"<tr><td>{e(STAGE_NAMES.get(r.stage, r.stage))}（第{r.version}版）</td>"
            f"<td>{r.sent.astimezone().strftime('%m-%d %H:%M')}</td>"
            f"<td>{e(r.author or r.sender)}（{e(SOURCE_NAMES.get(r.source, r.source))}）</td>"
            f"<td>{e(r.title)}{attached}</td></tr>"
        )
    response = picture.responses.get(incident_id)
    response_text = "未启动应急响应"
    if response is not None:
        steps = "；".join(
            f"{s.at.astimezone().strftime('%m-%d %H:%M')} {e(s.action)} {e(level_text(s.level))}"
            for s in response.history
        )
        state = "进行中" if response.active else "已终止"
        response_text = (
            f"{e(level_text(response.level))}应急响应（{state}），预案 {e(response.plan)}，"
            f"下达指令 {len(response.orders)} 条。过程：{steps}"
        )
    orders = sorted(
        (o for o in picture.orders.values() if o.incident_id == incident_id),
        key=lambda o: o.issued_at or o.updated,
    )
    order_rows = "".join(
        f"<tr><td>{(o.issued_at or o.updated).astimezone().strftime('%m-%d %H:%M')}</td>"
        f"<td>{e(o.recipient)}</td><td>{e(o.text)}</td>"
        f"<td>{e(ORDER_STATE_NAMES.get(o.state, o.state))}"
        + (f"：{e(o.note)}" if o.note else "")
        + "</td></tr>"
        for o in orders
    )
    return f"""
<html><head><style>
body {{ font-family: 'Noto Serif CJK SC', 'Noto Sans CJK SC', serif; font-size: 11pt; }}
h1 {{ text-align: center; color: #c00000; font-size: 22pt; letter-spacing: 4px; }}
p.no {{ text-align: center; font-size: 11pt; }}
h2 {{ font-size: 13pt; border-bottom: 1px solid #000; }}
table {{ border-collapse: collapse; width: 100%; }}
td {{ border: 1px solid #000; padding: 4px; vertical-align: top; }}
td.k {{ width: 22%; font-weight: bold; background: #f2f2f2; }}
p.sign {{ text-align: right; }}
</style></head><body>
<h1>突发事件信息报告{drill}</h1>
<p class="no">{UNIT}　　{local:%Y}年第 {e(incident_id)} 号　　{local:%Y年%m月%d日 %H时%M分}</p>
<hr/>
<h2>一、基本情况</h2>
{TABLE}{table}</table>
<h2>二、报告情况</h2>
{TABLE}<tr><td class='k'>报告</td><td class='k'>时间</td><td class='k'>报告人</td>
<td class='k'>内容</td></tr>{"".join(timeline) or "<tr><td colspan='4'>尚无报告</td></tr>"}</table>
<h2>三、应急响应</h2>
<p>{response_text}</p>
<h2>四、指挥调度</h2>
{TABLE}<tr><td class='k'>下达</td><td class='k'>接收方</td><td class='k'>指令</td>
<td class='k'>状态及答复</td></tr>{order_rows or NO_ORDERS}</table>
<h2>五、下一步工作</h2>
<p>继续跟踪事态发展，按规定时限续报。</p>
<br/><p class="sign">签发：＿＿＿＿＿＿　　核稿：＿＿＿＿＿＿　　拟稿：＿＿＿＿＿＿</p>
<p class="sign">{UNIT}（值班室）</p>
</body></html>"""


def export_report_pdf(picture: SituationPicture, incident_id: str, path: Path) -> Path:
    """Write the report as an A4 PDF at ``path``.

    Raises:
        KeyError: no open incident ``incident_id``.
        OSError: the file cannot be written (the message names it).
    """
    body = report_html(picture, incident_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setTitle(f"突发事件信息报告 {incident_id}")
    writer.setCreator("衡水市应急指挥平台")
    writer.setResolution(300)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(25, 30, 25, 25),  # mm: the wide top margin of official documents
            QPageLayout.Unit.Millimeter,
        )
    )
    doc = QTextDocument()
    doc.setHtml(body)
    doc.print_(writer)  # no page size of its own: Qt lays it out on the writer's A4 page
    del writer  # the file is finished when the writer goes
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"could not write the PDF to {path}")
    return path
