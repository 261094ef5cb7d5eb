"""A bilingual receipt shared by the printer tests."""

from __future__ import annotations

from kiosk.devices.printer import Receipt, ReceiptLine

TX_ID = "01890a5d-ac96-774b-bcce-b302099a8057"


def sample_receipt() -> Receipt:
    """Arabic and English rows and a QR code of the transaction id."""
    return Receipt(
        (
            ReceiptLine("أبشر - كشك الخدمات الذاتية", align="center", size="large", bold=True),
            ReceiptLine("Absher self-service kiosk", align="center"),
            ReceiptLine(rule=True),
            ReceiptLine("Service: Renew national ID", "الخدمة: تجديد الهوية الوطنية"),
            ReceiptLine("Fee: 30.00 SAR", "الرسوم: ٣٠٫٠٠ ريال"),
            ReceiptLine("Date: 2026-11-22 10:15", "التاريخ: ٢٠٢٦/١١/٢٢"),
            ReceiptLine(rule=True),
            ReceiptLine("شكراً لاستخدامكم أبشر", align="center"),
            ReceiptLine("Thank you for using Absher", align="center"),
        ),
        qr_data=TX_ID,
        qr_caption=TX_ID,
    )
