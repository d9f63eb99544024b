"""scraper.extract: metadata sources, boilerplate removal, text layout, robustness."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from scraper.config import ExtractRules
from scraper.extract import article_to_dict, extract_article
from scraper.extract.authors import clean_authors
from scraper.extract.body import PRE_DROP, is_pre_drop
from scraper.extract.dates import parse_date, to_iso
from scraper.models import Article

URL = "https://news.example.com/2024/05/story"
PARAS = [
    "The council approved the new budget on Tuesday evening, after a long debate about funding and roads.",
    "Members argued for three hours over the cost of the proposals, which include a library and two bridges.",
    "The leader said the plan would protect frontline services; the opposition called it a missed chance.",
    "A final vote is expected next month, when the detailed figures will be published for residents to read.",
]


def page(head: str = "", body: str = "", article_extra: str = "") -> str:
    paras = "".join(f"<p>{p}</p>" for p in PARAS)
    return (
        f"<html lang='en-GB'><head>{head}</head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        f"{body}<article><h1>Council approves budget</h1>{article_extra}"
        f"<div class='article-body'>{paras}</div></article>"
        "<footer><p>Copyright 2024 Example News Ltd, all rights reserved, registered in England.</p>"
        "</footer></body></html>"
    )


def test_jsonld_graph_with_nested_authors_wins_over_meta() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Example"},
            {
                "@type": "NewsArticle",
                "headline": "Budget passed after long debate",
                "datePublished": "2024-05-03T15:47:42+02:00",
                "dateModified": "2024-05-04T08:00:00Z",
                "author": [
                    {"@type": "Person", "name": "By Jane Doe"},
                    {"@type": "Person", "name": "John Roe"},
                ],
                "articleSection": "Politics",
                "keywords": ["budget", "council"],
                "wordCount": 321,
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script><meta name="author" content="Someone Else">'
    article = extract_article(page(head), URL)
    assert article.title == "Budget passed after long debate"
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.published == "2024-05-03T15:47:42+02:00"
    assert article.modified == "2024-05-04T08:00:00+00:00"
    assert article.section == "Politics"
    assert article.tags == ("budget", "council")
    assert article.word_count == 321
    assert article.language == "en"


def test_title_takes_the_shorter_of_og_title_and_jsonld_headline_and_its_exceptions() -> None:
    def title(og: str, headline: str = "Council budget: what the vote means for you") -> str | None:
        ld = {"@type": "NewsArticle", "headline": headline, "publisher": {"name": "Example News"}}
        head = (
            f'<script type="application/ld+json">{json.dumps(ld)}</script>'
            f'<meta property="og:title" content="{og}">'
            '<meta property="og:site_name" content="Example News">'
        )
        return extract_article(page(head), URL).title

    # The shorter headline wins (the longer adds a sub-header); the site name is cut off first.
    assert title("Budget passed after long debate | Example News") == "Budget passed after long debate"
    assert title("Council budget passed after a long debate that split the ruling group") == (
        "Council budget: what the vote means for you"
    )
    # A tie goes to og:title.
    assert title("Council budget: what the vote means for YOU") == "Council budget: what the vote means for YOU"
    assert title("Budget passed after long debate - example.com") == "Budget passed after long debate"
    # og:title that is only the site's name says nothing.
    assert title("Example News") == "Council budget: what the vote means for you"
    # A label around another source's headline is decoration...
    assert title("Politics | Budget passed after long debate", "Budget passed after long debate") == (
        "Budget passed after long debate"
    )
    # ...but a kicker with a colon is part of the headline.
    assert title("Town hall: Budget passed after long debate", "Budget passed after long debate") == (
        "Town hall: Budget passed after long debate"
    )
    # ...unless a section label follows the headline as well: then both are decoration.
    assert title("Town hall: Budget passed after long debate | Politics", "Budget passed after long debate") == (
        "Budget passed after long debate"
    )


def test_title_where_og_title_and_jsonld_headline_differ_in_more_than_length() -> None:
    def title(og: str, headline: str, h1: str = "Council approves budget", extra_head: str = "") -> str | None:
        ld = {"@type": "NewsArticle", "headline": headline}
        head = (
            f'<script type="application/ld+json">{json.dumps(ld)}</script>'
            f'<meta property="og:title" content="{og}">{extra_head}'
        )
        return extract_article(page(head).replace("Council approves budget", h1), URL).title

    straight = "Council to fight 'illogical' budget cuts, citing the mayor's own figures"
    curly = "Council to fight ‘illogical’ budget cuts, citing the mayor’s own figures"
    # The same headline in other quote marks: the typography more of the page's titles show...
    assert title(straight, curly, h1=curly) == curly
    # ...og:title on a tie...
    assert title(straight, curly, h1=curly, extra_head=f"<title>{straight} | Example News</title>") == straight
    # ...and the plainer one when one only adds quote marks.
    assert title("'Not our money', says council leader", "Not our money, says council leader") == (
        "Not our money, says council leader"
    )
    # A headline cut off mid-sentence for social media gives way to the full one.
    full = "Who is the new council leader and what will she change in the town?"
    assert title("Who is the new council leader?", full) == full
    assert title(full, "Who is the new council leader?") == full
    # ...but a sub-header after a separator is no cut: the shorter is the headline.
    sub = "Council budget passed in full: what the vote means for you"
    assert title(sub, "Council budget passed in full.") == "Council budget passed in full."
    # A `<meta name="title">` equal to one of the two decides, even for the longer one.
    short, long = "Budget passed", "Council budget passed after a long and bitter debate"
    assert title(long, short) == short
    assert title(long, short, extra_head=f'<meta name="title" content="{long}">') == long
    assert title(short, long, extra_head=f'<meta name="title" content="{long}">') == long


def test_standfirst_outside_the_body_leads_the_text() -> None:
    lead = (
        "The council has approved a budget that protects libraries and bridges, after a debate that "
        "ran late into the night and split the ruling group down the middle."
    )
    head = f'<meta property="og:description" content="{lead}">'
    extra = f'<header><p class="standfirst">{lead}</p></header>'
    article = extract_article(page(head, article_extra=extra), URL)
    assert article.text.split("\n\n") == [lead, *PARAS]
    assert article.description == lead
    # A one-line dek is left out: conventions disagree on it and it is no lead paragraph.
    dek = "Libraries and bridges are safe for another year."
    head = f'<meta property="og:description" content="{dek}">'
    article = extract_article(page(head, article_extra=f'<p class="dek">{dek}</p>'), URL)
    assert article.text.split("\n\n") == PARAS


def test_bold_names_atop_the_body_are_the_byline() -> None:
    ld = {"@type": "NewsArticle", "headline": "Budget passed", "author": {"@type": "Organization", "name": "Example"}}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    html = page(head).replace(
        "<div class='article-body'>", "<div class='article-body'><p><strong>Jane Doe/John Roe</strong></p>"
    )
    article = extract_article(html, URL)
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.text.split("\n\n") == PARAS
    # With a person in the metadata the paragraph stays where it is (it may be a heading).
    ld["author"] = {"@type": "Person", "name": "Sam Writer"}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    html = page(head).replace(
        "<div class='article-body'>", "<div class='article-body'><p><strong>Jane Doe/John Roe</strong></p>"
    )
    assert extract_article(html, URL).authors == ("Sam Writer",)


def test_byline_element_names_the_person_not_the_desk() -> None:
    extra = (
        '<div class="authors">Politics von Jane Doe 3. Mai 2024 3 Min</div>'
        '<p class="author">von Jane Doe, EXAMPLE NEWS</p>'
    )
    head = '<meta property="og:site_name" content="Example News">'
    assert extract_article(page(head, article_extra=extra), URL).authors == ("Jane Doe",)


def test_text_in_spans_without_paragraph_markup() -> None:
    spans = "".join(f"<div><span><span>{p}</span></span><br></div>" for p in PARAS)
    html = (
        "<html><body><div class='menu'><a href='/'>Home</a></div>"
        "<div class='box'><p>Other stories from this week in town, collected for you.</p></div>"
        f"<div class='post-body'>{spans}</div><div class='footer'>Crafted by a template</div></body></html>"
    )
    assert extract_article(html, URL).text.split("\n\n") == PARAS


def test_table_rows_embedded_posts_and_inline_links_are_kept() -> None:
    table = (
        "<table><tr class='player-2020'><td>1</td><td>Kyle Example</td><td>5040</td></tr>"
        "<tr class='player-2021'><td>2</td><td>Martin Example</td><td>5035</td></tr></table>"
    )
    tweet = (
        "<div class='social-media-embed'><blockquote class='twitter-tweet'>"
        "<p>Yes this is real and the state spent half a million on it</p></blockquote></div>"
    )
    linked = PARAS[1].replace("three hours", "<a class='tag-link' href='/t'>three hours</a>")
    html = page().replace(PARAS[1], linked).replace("</div></article>", f"{table}{tweet}</div></article>")
    text = extract_article(html, URL).text
    assert PARAS[1] in text
    assert "Kyle Example" in text and "Martin Example" in text
    assert "Yes this is real and the state spent half a million on it" in text


def test_caption_and_teaser_lines_are_dropped() -> None:
    extra_body = (
        "<p>The chamber during the vote on Tuesday night. Photo: Jane Doe</p>"
        "<p>Mehr zum Thema: Haushalt</p><p>WATCH | Councillors explain the vote</p>"
    )
    html = page().replace("</div></article>", f"{extra_body}</div></article>")
    assert extract_article(html, URL).text.split("\n\n") == PARAS


def test_opengraph_and_article_meta() -> None:
    head = (
        '<meta property="og:title" content="Budget passed | Example News">'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2024-05-03T10:00:00+01:00">'
        '<meta property="article:section" content="Local">'
        '<meta property="article:tag" content="roads"><meta property="article:tag" content="schools">'
        '<meta property="og:description" content="The standfirst.">'
        '<meta property="og:image" content="/img/a.jpg">'
        '<link rel="canonical" href="/2024/05/story">'
    )
    article = extract_article(page(head), URL)
    assert article.title == "Budget passed"
    assert article.published == "2024-05-03T10:00:00+01:00"
    assert article.section == "Local"
    assert article.tags == ("roads", "schools")
    assert article.description == "The standfirst."
    assert article.image == "https://news.example.com/img/a.jpg"
    assert article.canonical_url == "https://news.example.com/2024/05/story"


def test_dublin_core_meta() -> None:
    head = (
        '<meta name="DC.title" content="Budget passed by council">'
        '<meta name="DC.date.issued" content="2024-05-03T09:30:00Z">'
        '<meta name="DC.creator" content="Doe, Jane">'
    )
    article = extract_article(page(head), URL)
    assert article.title == "Budget passed by council"
    assert article.published == "2024-05-03T09:30:00+00:00"
    assert article.authors == ("Jane Doe",)


def test_microdata_and_time_element() -> None:
    extra = (
        '<span itemprop="author" itemscope><span itemprop="name">Ann Smith</span></span>'
        '<time datetime="2024-05-03T07:15:00-04:00">3 May</time>'
    )
    article = extract_article(page(article_extra=extra), URL)
    assert article.title == "Council approves budget"  # from <h1>
    assert article.authors == ("Ann Smith",)
    assert article.published == "2024-05-03T07:15:00-04:00"


def test_trade_press_byline_with_date() -> None:
    # The MJ style: section label above the headline, "By X | 02 October 2013" byline.
    extra = '<div class="section-label">WHITEHALL</div><p class="byline">By MJ reporter | 02 October 2013</p>'
    article = extract_article(page(article_extra=extra), URL)
    assert article.authors == ("MJ reporter",)
    assert article.published == "2013-10-02T00:00:00"
    assert "By MJ reporter" not in article.text


def test_authors_cleaned_split_and_deduplicated() -> None:
    assert clean_authors(["By Jane Doe and John Roe", "JANE DOE", "Jane Doe, Political Editor"]) == (
        "Jane Doe",
        "John Roe",
    )
    assert clean_authors(["Von Max Muster und Erika Muster"]) == ("Max Muster", "Erika Muster")
    assert clean_authors(["https://facebook.com/someone", "jane@example.com"]) == ()


def test_dates_keep_offset_and_read_epochs() -> None:
    assert to_iso(parse_date("2024-05-03 15:47:42 +0200")) == "2024-05-03T15:47:42+02:00"
    assert to_iso(parse_date("Fri, 03 May 2024 13:47:42 GMT")) == "2024-05-03T13:47:42+00:00"
    assert to_iso(parse_date("1714744062")) == "2024-05-03T13:47:42+00:00"
    assert parse_date("not a date") is None


def test_body_text_layout_and_lists() -> None:
    extra_body = "<h2>What happens next</h2><ul><li>First step</li><li>Second step</li></ul>"
    html = page().replace("</div></article>", f"{extra_body}</div></article>")
    text = extract_article(html, URL).text
    blocks = text.split("\n\n")
    assert blocks[: len(PARAS)] == PARAS
    assert blocks[len(PARAS) :] == ["What happens next", "First step", "Second step"]


def test_boilerplate_removed() -> None:
    boiler = (
        '<div class="share-bar"><a href="#">Share on Facebook</a> <span>Share this article</span></div>'
        '<div class="newsletter-signup"><p>Sign up to our daily newsletter for the best stories</p></div>'
        '<div id="cookie-banner"><p>We use cookies to improve your experience on this website.</p></div>'
        '<figure><img src="a.jpg"><figcaption>Councillors in the chamber</figcaption></figure>'
        '<ul class="related-links"><li><a href="/a">Another story about the council budget</a></li>'
        '<li><a href="/b">Yet another story about roads</a></li></ul>'
    )
    html = page().replace("<div class='article-body'>", f"<div class='article-body'>{boiler}")
    html = html.replace(
        "</body>",
        '<section id="comments"><p>Reader one: I think this budget is a disaster for our town.</p>'
        "<p>Reader two: I completely disagree with the previous commenter here.</p></section></body>",
    )
    text = extract_article(html, URL).text
    assert text.split("\n\n") == PARAS


def test_rules_override_generic_result() -> None:
    html = page(article_extra='<div class="kicker">Politics</div><span class="who">Sam Writer</span>')
    html = html.replace(PARAS[0], PARAS[0] + "</p><p>Advertisement feature: buy our calendar")
    rules = ExtractRules(
        body="div.article-body",
        title="h1",
        byline="span.who",
        section="div.kicker",
        date=None,
        drop=(),
        drop_phrases=("Advertisement feature: buy our calendar",),
    )
    article = extract_article(html, URL, rules)
    assert article.authors == ("Sam Writer",)
    assert article.section == "Politics"
    assert article.text.split("\n\n") == PARAS


def test_article_to_dict_is_json_ready() -> None:
    data = article_to_dict(extract_article(page(), URL))
    assert json.loads(json.dumps(data)) == data
    assert data["title"] == "Council approves budget"
    assert isinstance(data["authors"], list) and isinstance(data["paywall_signals"], list)


def test_degenerate_inputs_give_empty_articles() -> None:
    nested = "<div>" * 2_000_000  # 10 MB of unclosed divs
    for html in ("", "   ", "\x00\x01\x02", "<html", "\ud800 lone surrogate", "<div>" * 50_000, nested):
        article = extract_article(html, URL)
        assert isinstance(article, Article)
        assert article.url == URL


def test_bytes_in_a_wrong_encoding() -> None:
    html = page().encode("utf-16")
    assert isinstance(extract_article(html, URL), Article)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    "<p>",
                    "</p>",
                    "<div class='x'>",
                    "</div>",
                    "<script>",
                    "<br>",
                    "<!--",
                    "-->",
                    "word ",
                    '<script type="application/ld+json">{"@type":"NewsArticle","author":',
                    "[{",
                    "null",
                    "}",
                    "<meta property='article:published_time' content='",
                    "2024-13-45T99:99",
                    "'>",
                    "<time datetime='",
                    "&amp;",
                    "<li>",
                    "<h1>",
                    "\x00",
                    "\ud800",
                ]
            ),
            max_size=60,
        ).map("".join),
    )
)
def test_never_raises(html: str) -> None:
    article = extract_article(html, URL)
    assert isinstance(article, Article)
    assert isinstance(article.text, str)


def test_pre_drop_test_in_python_agrees_with_its_selector() -> None:
    # extract_article finds the elements to pre-clean in its shared scan with is_pre_drop;
    # extract_body on its own asks the tree with PRE_DROP: both must pick the same elements.
    body = (
        '<div id="user-comments">a</div><div class="Comments">b</div><div id="comment">c</div>'
        '<div id="comment-7">d</div><section class="newsletter-box">e</section><p hidden>f</p>'
        '<div role="navigation">g</div><div role="contentinfo">h</div><aside role="complementary">i</aside>'
        '<div role="main">j</div><div class="comments-open"><p>k</p></div><div data-comments="x">l</div>'
    )
    root = LexborHTMLParser(f"<html><body>{body}</body></html>").body
    assert root is not None
    by_selector = [node.mem_id for node in root.css(PRE_DROP)]
    by_python = [node.mem_id for node in root.css("*") if is_pre_drop(node.attributes)]
    assert by_python == by_selector
    assert len(by_selector) == 8  # all but "Comments" (case), comment-7, role=main, data-comments


def test_plain_paragraph_byline_gives_authors_and_date_and_leaves_the_text() -> None:
    html = (
        "<html><body><article><h1>Councils agree pay deal</h1><p>By MJ reporter | 02 October 2025</p>"
        "<p>Councils have agreed a two-year pay deal.</p><p>By the end of the year the deal will be signed.</p>"
        "</article></body></html>"
    )
    article = extract_article(html, "https://www.themj.co.uk/councils-agree-pay-deal")
    assert article.authors == ("MJ reporter",)
    assert article.published is not None and article.published.startswith("2025-10-02")
    assert "By MJ reporter" not in article.text
    # an ordinary sentence that starts with "By" is body text, not a byline
    assert "By the end of the year the deal will be signed." in article.text


def test_publication_date_from_the_title_or_a_date_class_when_nothing_else_gives_one() -> None:
    # No JSON-LD, meta, <time> or byline date: a date closing the <title> is the publication day...
    titled = page(head="<title>Council approves budget | Example News | 28.04.2023</title>")
    assert extract_article(titled, URL).published == "2023-04-28T00:00:00"
    # ...a title that only mentions a date is not a dateline...
    mentioned = page(head="<title>What changes on 28.04.2023 for tenants | Example News</title>")
    assert extract_article(mentioned, URL).published is None
    # ...and otherwise the first element whose class names a date gives it, with its time.
    extra = (
        '<div class="article_meta"><span class="meta_date">erstellt: <strong>01. April 2025, 15:25</strong>'
        "</span></div>"
    )
    assert extract_article(page(article_extra=extra), URL).published == "2025-04-01T15:25:00"
    # A structured date still wins over both.
    both = page(
        head=(
            '<title>Budget | 28.04.2023</title><meta property="article:published_time" '
            'content="2023-04-27T09:00:00+01:00">'
        ),
        article_extra=extra,
    )
    assert extract_article(both, URL).published == "2023-04-27T09:00:00+01:00"


def test_authors_from_the_jsonld_object_that_lists_them_all() -> None:
    # An SEO plugin's Article names the first author only; the NewsArticle with the same headline lists all three.
    plugin = {"@type": "Article", "headline": "Council approves budget", "author": {"name": "Ann Lee"},
              "datePublished": "2024-05-03T10:00:00+01:00", "wordCount": 400, "articleSection": "News",
              "inLanguage": "en-GB", "publisher": {"name": "Example News"}, "url": URL}  # fmt: skip
    full = {"@type": "NewsArticle", "headline": "Council approves budget",
            "author": [{"@type": "Person", "name": n} for n in ("Ann Lee", "Bo Chan", "Cy Diaz")]}  # fmt: skip
    other = {"@type": "NewsArticle", "headline": "Another story", "author": [{"name": "Dee Ekk"}] * 5}
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(o)}</script>' for o in (plugin, full, other))
    assert extract_article(page(head=scripts), URL).authors == ("Ann Lee", "Bo Chan", "Cy Diaz")


def test_labelled_author_field_beats_the_publishers_name_as_author() -> None:
    head = (
        '<meta name="publisher" content="Example Broadcasting (www.example.com)">'
        '<meta name="author" content="Example Broadcasting (www.example.com)">'
    )
    extra = (
        "<ul class='smallList'><li><strong>Datum</strong> 28.04.2023</li>"
        "<li><strong>Autorin/Autor</strong> Jane Doe</li></ul>"
    )
    assert extract_article(page(head=head, article_extra=extra), URL).authors == ("Jane Doe",)
    # Without a person named anywhere, the publisher stays the author.
    assert extract_article(page(head=head), URL).authors == ("Example Broadcasting",)


def test_related_posts_box_and_placeholder_slot_inside_the_body_are_dropped() -> None:
    # Class words that merely contain "related" ("ilrelated", "inlinerelated") name a related-links box too.
    box = (
        "<div class='penci-ilrelated-posts pcilrt-list'><div class='pcilrp-heading'><span>Most read</span></div>"
        "<ul><li><a href='/a'>Dorffest</a> Das Dorf feiert doppelt: das Dorffest trifft Streetfood am Samstag</li>"
        "<li><a href='/b'>Schloss</a> Noch nie dagewesene Einblicke in das Leben der Familie im Schloss</li></ul></div>"
    )
    # An element named a placeholder holds the stand-in text of a slot filled by script (an image, an ad).
    slot = "<div class='pts-article-image' id='placeholder-image-1'>Placeholder image-1</div>"
    html = page().replace(f"<p>{PARAS[1]}</p>", f"<p>{PARAS[1]}</p>{box}{slot}")
    text = extract_article(html, URL).text
    assert text.split("\n\n") == PARAS


def test_a_closing_section_called_recommended_is_article_text() -> None:
    # Reviews end with their picks: "Recommended" there heads the article's own last section.
    picks = ["The MacBook Air is the laptop most readers should buy.", "The iPad suits those who read on trains."]
    section = "<h2>Recommended</h2>" + "".join(f"<p>{pick}</p>" for pick in picks)
    html = page().replace("</div></article>", f"{section}</div></article>")
    assert extract_article(html, URL).text.split("\n\n")[-3:] == ["Recommended", *picks]


def test_tags_and_related_block_after_the_text_is_cut() -> None:
    furniture = "<h3>Schlagwörter zu diesem Artikel</h3><ul><li>Haushalt</li><li>Stadtrat</li></ul>"
    html = page().replace("</div></article>", f"{furniture}</div></article>")
    assert extract_article(html, URL).text.split("\n\n") == PARAS
    # A section that happens to be called "Comments" but holds prose is article text.
    prose = (
        "Residents sent in many long letters about the plan, most of them asking for more bus routes and a new"
        " pool. The council said it would answer each of them before the final vote in the chamber next month."
    )
    kept = page().replace("</div></article>", f"<h3>Comments</h3><p>{prose}</p></div></article>")
    assert extract_article(kept, URL).text.split("\n\n")[-2:] == ["Comments", prose]
