"""The report-in certificate as a PDF: the unit's 报到证 above, the community's 回执 below a
cutting line, on one A4 page with the CJK font embedded, the serial, the check code and a QR
code to verify it (``partyreg certificate ID -o 报到证.pdf``, or ``partyreg export
certificate --member ID -o …``; decisions 0126, 0127).

The stamp, the signatures and the day the community received the member are left for people
to fill in; the system's part is one line: serial, the day it was issued, the check code.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from partyreg_core.documents import IssuedDocument, ReportInCertificate
from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import Exporter
from partyreg_plugins.cjkfont import find_cjk_font

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace

FONT = "cjk"
#: The page's margins and the width of its text, in millimetres.
MARGIN = 20
WIDTH = 210 - 2 * MARGIN


#: endings of a unit's name that already name a party body (清河区委, 机关党委, 民政局党支部)
PARTY_BODY_ENDINGS = ("委", "党支部", "支部", "党总支", "党组织", "党组")


def party_body(unit_name: str) -> str:
    """The unit's party organisation as the certificate addresses it: the name itself when it
    already names one (“清河区委办党支部”), else the name with 党组织 (“市民政局党组织”)."""
    name = unit_name.strip()
    return name if name.endswith(PARTY_BODY_ENDINGS) else f"{name}党组织"


def verify_url(base_url: str, serial: str, code: str) -> str:
    """What the certificate's QR code holds: the members' site's ``/verify`` page (at its
    public address, the setting ``web.base_url``) with the serial and the code filled in."""
    return f"{base_url.rstrip('/')}/verify?serial={serial}&code={code}"


def _day(day: date | None) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日" if day else "      年    月    日"


def write_certificate(
    target: Path,
    cert: ReportInCertificate,
    document: IssuedDocument,
    code: str,
    *,
    qr_text: str,
) -> None:
    """Write the certificate and its receipt to ``target`` (one A4 page)."""
    import segno  # fpdf and segno load with the first certificate (decision 0161)
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    font = find_cjk_font()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"在职党员到社区报到证 {document.serial}")
    pdf.set_author(cert.unit_name)
    pdf.set_creator("partyreg")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, 15, MARGIN)
    pdf.add_font(FONT, fname=str(font.path), collection_font_number=font.index)
    pdf.add_page()
    posts = "、".join(cert.posts) or "（未认领，请到社区认领至少一个岗位）"
    qr = io.BytesIO()
    segno.make(qr_text, error="m").save(qr, kind="png", scale=6, border=2)

    def heading(text: str, y: float) -> None:
        pdf.set_xy(MARGIN, y)
        pdf.set_font(FONT, size=20)
        pdf.cell(WIDTH, 12, text, align="C")

    def paragraph(text: str, size: float = 13) -> None:
        pdf.set_x(MARGIN)
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(WIDTH, size * 0.62, text, align="L", wrapmode=WrapMode.CHAR,
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip

    def right(text: str, size: float = 13) -> None:
        pdf.set_font(FONT, size=size)
        pdf.cell(WIDTH, size * 0.62, text, align="R", new_x="LMARGIN", new_y="NEXT")

    # -- the certificate (the unit's part) -------------------------------------------------
    heading("在职党员到社区报到证", 16)
    pdf.set_xy(MARGIN, 29)
    pdf.set_font(FONT, size=10)
    pdf.cell(WIDTH, 6, f"编号：{document.serial}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    paragraph(f"{cert.community_label}党组织：")
    paragraph(
        f"　　兹有我单位在职党员{cert.name}同志（{cert.gender}，{cert.unit_and_title}），"
        f"按照“在职党员回社区 亮明身份作表率”活动的要求，到你社区报到（{cert.report_type}），"
        f"主动亮明党员身份，参加社区志愿服务。拟认领岗位：{posts}。"
    )
    paragraph("　　请予接洽，并将回执交回我单位党组织。")
    pdf.ln(8)
    right(f"{party_body(cert.unit_name)}（盖章）")
    pdf.ln(2)
    right(_day(None))
    pdf.ln(4)
    contacts = [
        f"接收报到电话：{cert.community_phone}" if cert.community_phone else "",
        f"QQ群：{cert.community_qq}" if cert.community_qq else "",
        f"社区地址：{cert.community_address}" if cert.community_address else "",
    ]
    if any(contacts):
        paragraph("　".join(c for c in contacts if c), size=10)
    top = max(pdf.get_y() + 3, 108.0)
    pdf.image(qr, x=MARGIN, y=top, w=26)
    pdf.set_xy(MARGIN + 30, top + 3)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        WIDTH - 30, 5.2, align="L", wrapmode=WrapMode.CHAR, text=
        f"系统出具于 {document.issued_on.isoformat()}　编号 {document.serial}　校验码 {code}\n"
        "核验真伪：扫描左侧二维码，或在党员网站“核验证明”页、partyreg verify 编号 校验码 输入上述编号和校验码。\n"
        "本证由单位党组织盖章后生效；系统只证明编号与内容一致。",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip

    # -- the cutting line ----------------------------------------------------------------
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(MARGIN - 8, 148.5, 210 - MARGIN + 8, 148.5)
    pdf.set_dash_pattern()
    pdf.set_xy(MARGIN, 149.5)
    pdf.set_font(FONT, size=8)
    pdf.cell(WIDTH, 4, "沿此线剪开　回执由社区党组织填写盖章后交回单位党组织", align="C")

    # -- the receipt (the community's part) ----------------------------------------------
    heading("在职党员到社区报到回执", 158)
    pdf.set_xy(MARGIN, 171)
    pdf.set_font(FONT, size=10)
    pdf.cell(WIDTH, 6, f"编号：{document.serial}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    paragraph(f"{party_body(cert.unit_name)}：")
    paragraph(
        f"　　你单位在职党员{cert.name}同志已于{_day(cert.reported_on)}到我社区报到，"
        f"认领服务岗位：________________________，编入服务小组：______________。"
    )
    paragraph("　　我社区将按要求安排其参加社区活动，并适时向你单位反馈其参加活动及日常表现情况。")
    paragraph("　　特此回执。")
    pdf.ln(10)
    right(f"{cert.community_label}党组织（盖章）")
    pdf.ln(2)
    right(_day(None))
    pdf.set_xy(MARGIN, 275)
    pdf.set_font(FONT, size=8)
    pdf.cell(
        WIDTH, 4,
        f"编号 {document.serial}　校验码 {code}（回执与报到证同号，社区可用同一编号核验）",
        align="C",
    )  # fmt: skip
    try:
        pdf.output(str(target))
    except OSError as error:  # the font file could not be read
        raise ValidationError(
            "pdf.write", f"写 PDF 失败（{error.strerror or error}）：请检查字体和输出位置。"
        ) from None


@attrs.frozen
class CertificateExporter:
    """``partyreg export certificate --member ID -o 报到证.pdf``."""

    name: str = "certificate"
    title: str = "在职党员到社区报到证和回执（PDF，--member 党员编号）"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the certificate of ``options["member"]``; one record."""
        member = options.get("member")
        if not isinstance(member, int):
            raise ValidationError("certificate.member", "请用 --member 指定党员编号。")
        cert, document, code = workspace.report_in_certificate(member)
        qr = verify_url(workspace.signin.base_url(), document.serial, code)
        write_certificate(target, cert, document, code, qr_text=qr)
        return 1

    def masks(self, workspace: Workspace, options: Mapping[str, Any]) -> bool:
        """The certificate carries no phone or address of the member."""
        return True


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the report-in certificate."""
    register(CertificateExporter())
