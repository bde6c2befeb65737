"""Charts read well on any screen: no text outside its SVG, no two labels on top of each
other, tick text at least 11 CSS px, in real Chromium at phone and desktop widths."""

from __future__ import annotations

import pytest

PAGES = [
    "/datasets/use-of-force/",
    "/datasets/body-worn-cameras/",
    "/datasets/resource-allocation/",
    "/datasets/community-trust/",
]

# Every text of every chart: its box, the SVG's box, its font size in CSS px and its class.
MEASURE = """
() => [...document.querySelectorAll('figure.chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {
    chart: svg.closest('figure').id,
    svg: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
    texts: [...svg.querySelectorAll('text')].map(t => {
      const r = t.getBoundingClientRect();
      return {
        text: t.textContent, cls: t.getAttribute('class') || '',
        left: r.left, right: r.right, top: r.top, bottom: r.bottom,
        size: parseFloat(getComputedStyle(t).fontSize),
      };
    }),
  };
})
"""


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.parametrize("width", [320, 390, 1366, 1920])
def test_chart_text_stays_inside_its_svg_and_is_readable(demo_site, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    seen = 0
    for path in PAGES:
        page.goto(demo_site.url + path)
        for chart in page.evaluate(MEASURE):
            box = chart["svg"]
            assert box["right"] - box["left"] > 0, chart["chart"]
            for t in chart["texts"]:
                where = f"{path} {chart['chart']} {t['text']!r} at {width}px"
                assert t["left"] >= box["left"] - 0.5 and t["right"] <= box["right"] + 0.5, where
                assert t["top"] >= box["top"] - 0.5 and t["bottom"] <= box["bottom"] + 0.5, where
                assert t["size"] >= 11, where
                seen += 1
            texts = chart["texts"]
            for i, a in enumerate(texts):
                for b in texts[i + 1 :]:
                    assert not _overlap(a, b), f"{path} {chart['chart']}: {a} and {b} overlap"
    assert seen > 100


def test_every_chart_has_3_to_6_ticks_axis_titles_and_its_numbers_beside_it(demo_site, page):
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(demo_site.url + "/datasets/resource-allocation/")
    budget = page.locator("#chart-adopted_budget")
    ticks = budget.locator("svg text.tick[text-anchor='end']").all_text_contents()
    titles = budget.locator("svg text.axis-title").all_text_contents()

    assert ticks == ["$0", "$100M", "$200M", "$300M", "$400M"]  # abbreviated money
    assert titles == ["US dollars", "Fiscal year"]
    assert budget.locator("svg line.grid").count() == len(ticks) - 1
    labels = budget.locator("svg text.tick[text-anchor='middle']").all_text_contents()
    assert labels == ["2023", "2024", "2025", "2026", "2027"]  # few bars: every one labelled
    budget.get_by_text("The numbers behind the chart").click()
    assert budget.locator("table").get_by_text("$361,294,300").is_visible()

    page.goto(demo_site.url + "/datasets/use-of-force/")
    incidents = page.locator("#chart-incidents")
    latest = incidents.locator("table tbody tr").last.locator("th").text_content()
    assert incidents.locator("svg rect.provisional").count() == 1  # the latest month
    assert latest.endswith(" (provisional)")
    legend = incidents.locator("svg text.legend").all_text_contents()[-1]
    assert legend == f"■ provisional: {latest.removesuffix(' (provisional)')}"
    for chart in page.locator("figure.chart svg.columns").all():
        count = chart.locator("text.tick[text-anchor='end']").count()
        assert 3 <= count <= 6
