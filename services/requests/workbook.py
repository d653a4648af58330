"""The findings table as a workbook, headed in the municipality's language."""
import io

import xlsxwriter

HEADERS = {
    "tr": ("Mahalle", "Hizmet kodu", "Hizmet", "Alınan başvuru", "Hedef sürede kapanan (%)",
           "Medyan kapanma süresi (gün)", "Süresi geçmiş açık başvuru"),
    "fa": ("محله", "کد خدمت", "خدمت", "درخواست‌های دریافتی", "بسته‌شده در زمان هدف (٪)",
           "میانه روزهای بسته‌شدن", "درخواست‌های باز گذشته از موعد"),
    "en": ("Neighbourhood", "Service code", "Service", "Received", "Closed within target (%)",
           "Median days to close", "Open past target"),
}
TITLE = {"tr": "Başvuru bulguları", "fa": "یافته‌های درخواست‌ها", "en": "Request findings"}


def findings_workbook(municipality, period, rows, language):
    language = language if language in HEADERS else "en"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet(TITLE[language][:31])
    if language == "fa":
        sheet.right_to_left()
    sheet.write(0, 0, f"{TITLE[language]}: {municipality}, {period}", bold)
    for c, header in enumerate(HEADERS[language]):
        sheet.write(2, c, header, bold)
        sheet.set_column(c, c, 24 if c in (0, 2) else 14)
    for r, row in enumerate(rows, start=3):
        values = (row["neighbourhood"], row["service_code"], row["service_name"], row["received"],
                  row["closed_within_target"], row["median_days_to_close"], row["open_past_target"])
        for c, value in enumerate(values):
            if value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write(r, c, value)
    sheet.autofilter(2, 0, max(len(rows), 1) + 2, len(HEADERS[language]) - 1)
    book.close()
    return buffer.getvalue()
