"""A scheduled article stays out of the widgets and the iframe, in a real browser, until its time."""

from __future__ import annotations

from playwright.sync_api import expect

WIDGETS = """
<div id="w"><script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-limit="5" async>
</script></div>
<iframe id="f" src="SVC/embed/all?limit=5" title="Headlines" width="600" height="260"></iframe>
"""


def test_a_2030_article_is_not_pinned_to_the_top_of_the_embeds(page, host, service, client, make_article,
                                                                auth_headers):
    make_article("Astana budget passes", countries=["kazakhstan"], day=1)
    make_article("Almaty metro extends", countries=["kazakhstan"], day=2)
    body = {"title": "Embargoed story from 2030", "countries": ["kazakhstan"],
            "published_at": "2030-01-01T00:00:00Z"}
    assert client.post("/api/articles", json=body, headers=auth_headers).status_code == 201
    site, origin = host
    site.add("/", WIDGETS, service)
    page.goto(origin + "/")
    expect(page.locator("#w li")).to_have_count(2)
    assert page.locator("#w li a").all_text_contents() == ["Almaty metro extends", "Astana budget passes"]
    frame = page.frame_locator("#f")
    expect(frame.locator("li:not(.blank)")).to_have_count(2)  # blank rows keep the reserved height
    expect(frame.locator("body")).not_to_contain_text("Embargoed")
    assert page.console_errors == []  # type: ignore[attr-defined]
