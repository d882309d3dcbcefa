# ruff: noqa: E501  (prose in a data file reads better unwrapped)
"""The demo articles: invented, written for feedsvc, in a news-desk style. Fixed dates keep the demo deterministic.

Names of people and organisations here are made up; nothing is quoted from a real source.
"""

DEMO_ARTICLES: list[dict] = [
    {
        "external_id": "demo-001",
        "title": "Kazakhstan and Kyrgyzstan agree a joint timetable for Chu river releases",
        "summary": "A new seasonal schedule sets how much water passes the border each month from April to September.",
        "content_html": (
            "<p>Water agencies of the two countries signed a seasonal schedule for releases on the Chu river, "
            "replacing the week-by-week arrangements used in earlier years.</p>"
            "<p>Under the plan, flows are set a month in advance and revised only if inflows fall more than a "
            "fifth below the forecast. Farmers' associations downstream had asked for earlier notice before the "
            "sowing season.</p>"
            "<figure><img src=\"/assets/demo/dam.png\" alt=\"Illustration: a concrete dam holding a reservoir between "
            "green hills\" width=\"800\" height=\"450\"><figcaption>Releases are set upstream, at the reservoirs "
            "that feed the river in spring and summer.</figcaption></figure>"
            "<p>A joint commission will publish measured flows at the border gauge every ten days.</p>"
        ),
        "countries": ["kazakhstan", "kyrgyzstan"],
        "tags": ["water", "agriculture"],
        "author": "Water desk <water@example.org>",
        "image_url": "/assets/demo/chu-river.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a river running from snow-capped mountains under a road bridge",
        "published_at": "2025-03-03T07:30:00Z",
    },
    {
        "external_id": "demo-002",
        "title": "Almaty commuter rail adds evening trains to the airport",
        "summary": "Two extra evening services run from March, after complaints about the last train leaving too early.",
        "content_html": (
            "<p>The suburban rail operator added two evening departures on the line between the city centre and "
            "the airport, with the last train now leaving shortly before midnight.</p>"
            "<p>Passenger counts on the line rose steadily through the winter, the operator said in a statement, "
            "and the new trains use rolling stock freed up by a timetable change on another route.</p>"
        ),
        "countries": ["kazakhstan"],
        "tags": ["transport", "rail"],
        "author": "Aigerim Sadykova",
        "published_at": "2025-03-05T10:15:00Z",
    },
    {
        "external_id": "demo-003",
        "title": "Tajikistan's spring hydropower output runs ahead of last year",
        "summary": "Early snowmelt filled reservoirs sooner, letting plants raise generation in March.",
        "content_html": (
            "<p>Hydropower plants on the Vakhsh cascade produced more electricity in the first half of March "
            "than in the same period a year earlier, according to the grid operator's weekly bulletin.</p>"
            "<p>Warm weather brought snowmelt forward by about two weeks. Engineers cautioned that an early "
            "melt can leave less water for late summer, when demand for irrigation peaks.</p>"
            "<p>Winter power cuts in rural districts were shorter this season, the bulletin added.</p>"
        ),
        "countries": ["tajikistan"],
        "tags": ["energy", "hydropower"],
        "author": "Energy desk <energy@example.org>",
        "image_url": "/assets/demo/dam.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a concrete dam holding a reservoir between green hills",
        "published_at": "2025-03-07T06:00:00Z",
    },
    {
        "external_id": "demo-004",
        "title": "Uzbek regional broadcasters get a single licensing window",
        "summary": "Television and radio stations outside Tashkent can now apply and renew online through one office.",
        "content_html": (
            "<p>Regional broadcasters in Uzbekistan can file licence applications and renewals through a single "
            "online window from this month, instead of visiting three separate agencies.</p>"
            "<p>Media associations welcomed the simpler procedure but asked for published deadlines for each step, "
            "saying that renewals had sometimes taken most of a year.</p>"
        ),
        "countries": ["uzbekistan"],
        "tags": ["media", "regulation"],
        "author": "Media desk <media@example.org>",
        "published_at": "2025-03-10T09:00:00Z",
    },
    {
        "external_id": "demo-005",
        "title": "Turkmenistan opens a new section of the coastal highway",
        "summary": "A 60-kilometre stretch along the Caspian coast opened to traffic, shortening the drive to the port.",
        "content_html": (
            "<p>A new section of the highway along the Caspian coast opened to traffic this week, cutting the "
            "journey between the port and the regional centre by about forty minutes.</p>"
            "<p>Freight companies said the road would ease the queue of lorries waiting to board ferries. "
            "Work on the next section is scheduled to continue through the summer.</p>"
        ),
        "countries": ["turkmenistan"],
        "tags": ["transport", "roads"],
        "author": "Transport desk",
        "image_url": "/assets/demo/caspian-road.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a new road running along the sea towards a port at sunset",
        "published_at": "2025-03-12T08:45:00Z",
    },
    {
        "external_id": "demo-006",
        "title": "Five Central Asian states discuss a shared electricity market",
        "summary": "Grid operators met to compare rules for cross-border trade in power during peak seasons.",
        "content_html": (
            "<p>Representatives of the grid operators of all five Central Asian countries met to discuss common "
            "rules for trading electricity across borders, especially during winter peaks and summer flood "
            "seasons.</p>"
            "<p>The meeting produced a list of technical questions, from metering at border substations to "
            "settlement currencies, to be answered by a working group before the next round.</p>"
            "<p>No date was set for a formal agreement.</p>"
        ),
        "countries": ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"],
        "tags": ["energy", "regional-cooperation"],
        "author": "Energy desk <energy@example.org>",
        "image_url": "/assets/demo/power-lines.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: high-voltage power lines on three steel pylons",
        "published_at": "2025-03-14T12:00:00Z",
    },
    {
        "external_id": "demo-007",
        "title": "Kyrgyz statistics office revises remittance estimates",
        "summary": "A new method counts transfers through mobile wallets, raising the estimate for the last quarter.",
        "content_html": (
            "<p>The national statistics office revised its estimate of money sent home by workers abroad after "
            "adding transfers made through mobile wallets, which the earlier method did not capture.</p>"
            "<p>Economists said the revision narrows a long-standing gap between household surveys and the "
            "official figures. The office plans to publish the full method in May.</p>"
        ),
        "countries": ["kyrgyzstan"],
        "tags": ["economy", "remittances"],
        "author": "Economy desk <economy@example.org>",
        "published_at": "2025-03-17T05:30:00Z",
    },
    {
        "external_id": "demo-008",
        "title": "Court hears appeal over closure of an independent news site in Kazakhstan",
        "summary": "The site's editors argue that the order to block it gave no reasons they could answer.",
        "content_html": (
            "<p>An appeals court began hearing the case of a regional news site that was blocked in January, "
            "with its editors arguing that the order did not specify which articles broke the law.</p>"
            "<p>Press-freedom groups have followed the case as a test of how blocking orders are reviewed. "
            "The court is expected to rule within a month.</p>"
        ),
        "countries": ["kazakhstan"],
        "tags": ["media", "rights", "courts"],
        "author": "Staff <desk@example.org>",
        "image_url": "/assets/demo/courthouse.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a court building with columns and wide steps",
        "published_at": "2025-03-19T11:20:00Z",
    },
    {
        "external_id": "demo-009",
        "title": "Amu Darya basin states share flood forecasts daily during the melt",
        "summary": "Hydrological services will exchange gauge readings every morning until the end of June.",
        "content_html": (
            "<p>Hydrological services of Tajikistan, Turkmenistan and Uzbekistan agreed to exchange river gauge "
            "readings on the Amu Darya every morning during the spring melt.</p>"
            "<p>Until now, readings were shared weekly. Emergency agencies in downstream districts said daily "
            "figures would give them more time to move livestock and equipment away from the banks.</p>"
        ),
        "countries": ["tajikistan", "turkmenistan", "uzbekistan"],
        "tags": ["water", "floods"],
        "author": "Water desk <water@example.org>",
        "image_url": "/assets/demo/amu-darya.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a wide river winding through flat farmland past a house",
        "published_at": "2025-03-21T07:00:00Z",
    },
    {
        "external_id": "demo-010",
        "title": "Tashkent metro extends the ring line by three stations",
        "summary": "The new stations connect two residential districts to the network for the first time.",
        "content_html": (
            "<p>Three new stations opened on the metro's ring line, connecting two residential districts in the "
            "south of the city to the network.</p>"
            "<p>Trains run every eight minutes at peak times. Bus routes that duplicated the new section will be "
            "shortened to feed the stations instead.</p>"
            "<p>Fares are unchanged.</p>"
        ),
        "countries": ["uzbekistan"],
        "tags": ["transport", "metro"],
        "author": "Transport desk",
        "image_url": "/assets/demo/metro.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a metro train standing at an arched, lit station",
        "published_at": "2025-03-24T09:40:00Z",
    },
    {
        "external_id": "demo-011",
        "title": "Solar plant tender draws bids from a dozen firms in Uzbekistan",
        "summary": "The tender for a 200 MW plant in the Bukhara region closed with twelve bids.",
        "content_html": (
            "<p>A tender for a 200-megawatt solar plant in the Bukhara region closed with twelve bids, the "
            "energy ministry said, more than in any earlier round.</p>"
            "<p>The winner will sign a 25-year power purchase agreement. Results are due in June after a "
            "technical review.</p>"
        ),
        "countries": ["uzbekistan"],
        "tags": ["energy", "solar"],
        "author": "Energy desk <energy@example.org>",
        "image_url": "/assets/demo/solar-field.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: rows of solar panels in the desert under the sun",
        "published_at": "2025-03-26T13:10:00Z",
    },
    {
        "external_id": "demo-012",
        "title": "Dushanbe and Bishkek sign a bus route agreement",
        "summary": "A regular passenger bus between the two capitals is planned to start in the summer.",
        "content_html": (
            "<p>Transport ministries of Tajikistan and Kyrgyzstan signed an agreement allowing a regular "
            "passenger bus service between Dushanbe and Bishkek.</p>"
            "<p>Operators still need permits from both sides. The route crosses a mountain pass that is closed "
            "for part of the winter, so the service will run from June to October at first.</p>"
        ),
        "countries": ["tajikistan", "kyrgyzstan"],
        "tags": ["transport", "regional-cooperation"],
        "author": "Transport desk",
        "image_url": "/assets/demo/mountain-bus.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a yellow coach on a road below mountain peaks",
        "published_at": "2025-03-28T08:00:00Z",
    },
    {
        "external_id": "demo-013",
        "title": "Turkmen gas exports to the east hold steady in the first quarter",
        "summary": "Pipeline deliveries matched last year's level, according to customs data.",
        "content_html": (
            "<p>Natural gas deliveries through the pipeline running east from Turkmenistan stayed close to last "
            "year's level in the first quarter, according to customs data.</p>"
            "<p>Analysts noted that higher domestic demand during a cold February did not reduce exports, "
            "which they attributed to new wells brought into production last year.</p>"
        ),
        "countries": ["turkmenistan"],
        "tags": ["energy", "gas", "economy"],
        "author": "Economy desk <economy@example.org>",
        "image_url": "/assets/demo/pipeline.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a gas pipeline on supports across desert dunes",
        "published_at": "2025-04-01T06:30:00Z",
    },
    {
        "external_id": "demo-014",
        "title": "Kyrgyzstan publishes a draft law on access to court records",
        "summary": "Rulings of lower courts would be posted online within thirty days, with personal data removed.",
        "content_html": (
            "<p>The justice ministry published a draft law requiring lower courts to post their rulings online "
            "within thirty days, with names of private individuals removed.</p>"
            "<p>Lawyers' groups said the draft was a step forward but asked that hearing schedules be published "
            "too. Comments on the draft are open for four weeks.</p>"
        ),
        "countries": ["kyrgyzstan"],
        "tags": ["rights", "courts"],
        "author": "Staff <desk@example.org>",
        "published_at": "2025-04-03T10:00:00Z",
    },
    {
        "external_id": "demo-015",
        "title": "Grain harvest outlook improves after spring rains in northern Kazakhstan",
        "summary": "Soil moisture is above the ten-year average in most northern regions, agronomists say.",
        "content_html": (
            "<p>Agronomists in northern Kazakhstan reported soil moisture above the ten-year average in most "
            "regions after steady rain in late March.</p>"
            "<p>Sowing is expected to begin in early May. Farm groups said the main risk now was the cost of "
            "fuel and fertiliser rather than the weather.</p>"
        ),
        "countries": ["kazakhstan"],
        "tags": ["economy", "agriculture"],
        "author": "Economy desk <economy@example.org>",
        "image_url": "/assets/demo/steppe-grain.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a ripe grain field with a tractor, a barn and a silo",
        "published_at": "2025-04-07T07:15:00Z",
    },
    {
        "external_id": "demo-016",
        "title": "Journalists in Tajikistan ask for clearer accreditation rules",
        "summary": "A group of reporters filed a joint request for written reasons when accreditation is refused.",
        "content_html": (
            "<p>A group of journalists working for local and foreign outlets filed a joint request asking that "
            "refusals of press accreditation come with written reasons and a way to appeal.</p>"
            "<p>The request also asks for a fixed processing time. The foreign ministry, which handles "
            "accreditation for foreign media, has thirty days to reply.</p>"
        ),
        "countries": ["tajikistan"],
        "tags": ["media", "rights"],
        "author": "Media desk <media@example.org>",
        "published_at": "2025-04-10T09:30:00Z",
    },
    {
        "external_id": "demo-017",
        "title": "Rail freight between China and the Caspian grows through Kazakhstan and Turkmenistan",
        "summary": "Container trains on the southern corridor ran more often in March than in any month last year.",
        "content_html": (
            "<p>Container trains using the southern rail corridor, which crosses Kazakhstan and Turkmenistan "
            "to reach Caspian ports, ran more often in March than in any month of last year.</p>"
            "<p>Logistics firms said shorter waits at border stations helped. Port capacity on the Caspian "
            "remains the main bottleneck for cargo heading further west.</p>"
        ),
        "countries": ["kazakhstan", "turkmenistan"],
        "tags": ["transport", "rail", "trade"],
        "author": "Transport desk",
        "image_url": "/assets/demo/freight-train.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a locomotive pulling coloured containers across the steppe",
        "published_at": "2025-04-14T11:45:00Z",
    },
    {
        "external_id": "demo-018",
        "title": "Uzbekistan's inflation eases for a third month",
        "summary": "Consumer prices rose more slowly in March, led by cheaper vegetables and stable fuel prices.",
        "content_html": (
            "<p>Annual consumer price inflation slowed for a third consecutive month in March, according to the "
            "statistics agency, as vegetable prices fell with the start of the season.</p>"
            "<p>The central bank is due to review its policy rate later this month. Economists surveyed by "
            "local media expect the rate to stay unchanged.</p>"
        ),
        "countries": ["uzbekistan"],
        "tags": ["economy", "inflation"],
        "author": "Economy desk <economy@example.org>",
        "image_url": "/assets/demo/bazaar.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a market stall with fruit and vegetables and a price sign",
        "published_at": "2025-04-16T06:00:00Z",
    },
    {
        "external_id": "demo-019",
        "title": "Lake Issyk-Kul towns plan new wastewater plants before the summer season",
        "summary": "Two treatment plants are due to open on the northern shore, where tourist numbers peak in July.",
        "content_html": (
            "<p>Two wastewater treatment plants on the northern shore of Lake Issyk-Kul are due to open before "
            "the summer season, local authorities said.</p>"
            "<p>Environmental groups have long warned that older plants cannot cope when the number of visitors "
            "multiplies in July and August.</p>"
            "<blockquote><p>We test the water at every public beach, and from this summer the results go online "
            "each week, good or bad.</p><cite>A district environmental inspector</cite></blockquote>"
            "<p>Water quality tests at beaches will be published weekly.</p>"
        ),
        "countries": ["kyrgyzstan"],
        "tags": ["water", "environment"],
        "author": "Water desk <water@example.org>",
        "image_url": "/assets/demo/issyk-kul.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a mountain lake below snowy ridges, a guest house on the shore",
        "published_at": "2025-04-21T08:20:00Z",
    },
    {
        "external_id": "demo-020",
        "title": "Central Asian currencies hold steady against the dollar in April",
        "summary": "The tenge, som, somoni, manat and sum moved within narrow ranges through the month.",
        "content_html": (
            "<p>The five Central Asian currencies moved within narrow ranges against the US dollar in April, "
            "according to the official rates published by the central banks.</p>"
            "<p>Traders pointed to steady remittance inflows and commodity prices. The Turkmen manat remained "
            "at its fixed official rate.</p>"
            "<table><caption>How each currency is set</caption><thead><tr><th scope=\"col\">Currency</th>"
            "<th scope=\"col\">Central bank</th><th scope=\"col\">Regime</th></tr></thead><tbody>"
            "<tr><td>Tenge (KZT)</td><td>National Bank of Kazakhstan</td><td>Floating</td></tr>"
            "<tr><td>Som (KGS)</td><td>National Bank of the Kyrgyz Republic</td><td>Managed float</td></tr>"
            "<tr><td>Somoni (TJS)</td><td>National Bank of Tajikistan</td><td>Managed float</td></tr>"
            "<tr><td>Manat (TMT)</td><td>Central Bank of Turkmenistan</td><td>Fixed official rate</td></tr>"
            "<tr><td>Sum (UZS)</td><td>Central Bank of Uzbekistan</td><td>Floating</td></tr>"
            "</tbody></table>"
            "<p>Daily rates for all five are available on <a href=\"/rates\" rel=\"noopener noreferrer\">the rates page</a> and as CSV.</p>"
        ),
        "countries": ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"],
        "tags": ["economy", "currencies"],
        "author": "Economy desk <economy@example.org>",
        "image_url": "/assets/demo/currency-board.png",
        "image_width": 800,
        "image_height": 450,
        "image_alt": "Illustration: a board of exchange-rate lines above coins and a banknote",
        "published_at": "2025-04-25T12:00:00Z",
    },
]

# The last edit of the stories the desk corrected or followed up after publishing; every other demo
# article was last edited when it was published. Feeds give each entry its own edit time, never "now".
DEMO_EDITS: dict[str, str] = {
    "demo-004": "2025-03-10T14:25:00Z",  # the licensing office's address added
    "demo-009": "2025-03-22T06:40:00Z",  # the next day's forecast bulletin added
    "demo-013": "2025-04-02T09:05:00Z",  # export volume corrected
    "demo-017": "2025-04-15T08:30:00Z",  # the number of weekly trains corrected
}
