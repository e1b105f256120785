"""The dashboards read cleanly (issue 17, item 8), in Debian's Chromium: the city figure's label beside its
line covers no bar, large figures read in 万, and a printed page carries its print date and page numbers."""

import datetime
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.browser import test_dashboard
from tests.browser.helpers import DESKTOP, PHONE, screenshot_dir
from tests.browser.test_dashboard import drawn_charts, new_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
snapshot = test_dashboard.snapshot

# From page JS, with ECharts' own instance: the bars' rectangles (the series' item layouts) and the
# rectangle of every text drawn, transformed to the chart's pixels; then which texts overlap a bar.
LABEL_AND_BARS = """(prefix) => {
  const el = document.querySelector('[data-chart="chart-comparison-data"]');
  const chart = echarts.getInstanceByDom(el);
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const bars = [];
  for (let i = 0; i < data.count(); i++) {
    const l = data.getItemLayout(i);
    if (!l || data.get('x', i) === null) continue;
    const x = Math.min(l.x, l.x + l.width), y = Math.min(l.y, l.y + l.height);
    bars.push({x: x, y: y, width: Math.abs(l.width), height: Math.abs(l.height)});
  }
  const labels = chart.getZr().storage.getDisplayList(true)
    .filter(t => t.style && typeof t.style.text === 'string' && t.style.text.indexOf(prefix) === 0)
    .map(t => {
      const r = t.getBoundingRect().clone();
      r.applyTransform(t.getComputedTransform());
      return {text: t.style.text, x: r.x, y: r.y, width: r.width, height: r.height};
    });
  const hits = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const line = (chart.getOption().series[0].markLine || {data: []}).data[0];
  return {
    bars: bars,
    labels: labels,
    overlaps: labels.filter(l => bars.some(b => hits(l, b))),
    width: chart.getWidth(),
    lineX: line ? chart.convertToPixel({xAxisIndex: 0}, line.xAxis) : null,
  };
}"""


def average_label(page, prefix: str) -> dict:
    drawn_charts(page)
    found = page.evaluate(LABEL_AND_BARS, prefix)
    assert found["bars"], found
    assert len(found["labels"]) == 1, found  # the city figure's label is drawn, once
    label = found["labels"][0]
    assert found["overlaps"] == [], found
    assert label["x"] >= 0 and label["x"] + label["width"] <= found["width"], found  # not cut off
    assert label["x"] <= found["lineX"] <= label["x"] + label["width"], found  # beside its own line
    return found


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_city_figures_label_covers_no_bar(live_server, snapshot, browser, viewport):
    shots = screenshot_dir()
    page = new_page(browser, viewport)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    # en-US browser, but the portal's default language is Chinese: the rate's label is "全市 …".
    found = average_label(page, "全市 ")
    assert found["labels"][0]["text"].endswith("35.6"), found
    page.locator("#comparison").screenshot(
        path=shots / f"dashboard-average-label-rate-{viewport['width']}.png"
    )

    # A total: the average per district, a headcount, so no decimals.
    page.goto(f"{live_server.url}/dashboard/?period=2025Q3&indicator=skilled_workers")
    found = average_label(page, "全市各区平均 ")
    assert "." not in found["labels"][0]["text"], found
    page.locator("#comparison").screenshot(
        path=shots / f"dashboard-average-label-total-{viewport['width']}.png"
    )
    assert page.problems == [], page.problems


def test_a_printed_board_carries_the_print_date_and_page_numbers(live_server, snapshot, browser):
    shots = screenshot_dir()
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    drawn_charts(page)

    # On screen: a print button (dashboard.js shows it and prints on a click), no print date.
    button = page.locator("#print-button")
    assert button.is_visible()
    assert not page.locator("#print-stamp").is_visible()
    page.evaluate("window.print = () => { window.__printed = true; }")
    button.click()
    assert page.evaluate("window.__printed === true")

    # On paper: the print date (rendered with the page, set again just before printing) and the page
    # numbers in the bottom margin. The browser runs in the test process's zone (Django's TIME_ZONE).
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    stamp = page.locator("#print-stamp")
    today = datetime.date.today().isoformat()
    assert stamp.is_visible() and today in stamp.inner_text(), stamp.inner_text()
    assert not button.is_visible()
    page.evaluate("document.querySelector('[data-print-date]').textContent = 'yesterday'")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert today in stamp.inner_text(), stamp.inner_text()
    margin_boxes = page.evaluate(
        """() => [...document.styleSheets].flatMap(sheet => {
            try { return [...sheet.cssRules]; } catch (e) { return []; }
        }).filter(rule => rule instanceof CSSPageRule)
          .flatMap(rule => [...(rule.cssRules || [])].map(inner => inner.cssText))"""
    )
    assert any("bottom-right" in text and "counter(page)" in text for text in margin_boxes), margin_boxes
    page.screenshot(path=shots / "dashboard-print-stamp.png", full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (shots / "dashboard-district-print-numbered.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) > 1  # numbered pages: "1 / 4" at the bottom right
    assert page.problems == [], page.problems

    # Without JavaScript there is no button that would do nothing, only the hint to use the browser's command.
    still = new_page(browser, DESKTOP, java_script_enabled=False)
    sign_in(still, live_server.url, "beilun_official")
    still.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    assert not still.locator("#print-button").is_visible()
    with translation.override("zh-hans"):
        hint = gettext("To print, use your browser's print command: the page is laid out for A4.")
    assert hint in still.locator("#exports").inner_text()


def test_large_figures_read_in_wan_on_cards_and_bar_labels(live_server, snapshot, browser):
    from indicators.models import IndicatorValue

    # Beilun's subsidies paid, written straight into the snapshot: 3,502,000 yuan, 7.78亿 in the year.
    run = snapshot["2025Q3"]
    IndicatorValue.objects.filter(run=run, indicator="subsidy_paid", district__code="330206").update(
        value=3502000, ytd_value=777800000
    )
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3&indicator=subsidy_paid")
    card = page.locator("#card-subsidy_paid")
    assert card.locator(".ind-card__number").inner_text() == "350.2万"
    assert card.locator(".ind-card__number").get_attribute("title") == "3,502,000.00"
    assert "7.78亿" in card.inner_text()
    assert "3,502,000.00" in page.locator("#comparison-table").inner_text()  # the table stays exact
    drawn_charts(page)
    texts = page.evaluate(
        """() => echarts.getInstanceByDom(document.querySelector('[data-chart="chart-comparison-data"]'))
              .getZr().storage.getDisplayList(true)
              .filter(t => t.style && typeof t.style.text === 'string').map(t => t.style.text)"""
    )
    assert "350.2万" in texts, texts
    assert page.problems == [], page.problems
