"""Turning papers into HTML pieces safely: highlights, links, dates, category names.

Every piece of HTML built in Python goes through `markupsafe.escape` here; templates never mark
data `|safe`. Paper text is data from outside (a title may hold `<script>` or `{{7*7}}`): it is
escaped where it is written, and never used as a template.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache
from urllib.parse import quote, urlencode, urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from papersift.records import Paper

# arXiv's category names (https://arxiv.org/category_taxonomy), for the archives the demo corpus
# and most users' libraries hold; any other category shows as its code.
CATEGORY_NAMES = {
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.NA": "Numerical Analysis",
    "math.OC": "Optimization and Control",
    "math.ST": "Statistics Theory",
    "q-bio.NC": "Neurons and Cognition",
    "quant-ph": "Quantum Physics",
    "stat.AP": "Statistics Applications",
    "stat.CO": "Statistics Computation",
    "stat.ME": "Statistics Methodology",
    "stat.ML": "Machine Learning (Statistics)",
}


def highlight(text: str, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> Markup:
    """`text` escaped, with the (start, end) spans wrapped in <mark>; bad or overlapping spans are skipped."""
    parts: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if start < position or end <= start or end > len(text):
            continue
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>{}</mark>").format(text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


# What a comment may contain once rendered: text formatting, lists, quotes, code and links.
_COMMENT_TAGS = frozenset(
    {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "del", "s",
     "h3", "h4", "h5", "h6"}
)  # fmt: skip
_COMMENT_MARKDOWN = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("strikethrough")
    .disable("image")  # an image in a comment is a tracking pixel waiting to happen
)
# Headings in a comment are demoted: the paper page owns h1 and h2.
_COMMENT_MARKDOWN.add_render_rule(
    "heading_open", lambda self, tokens, idx, options, env: f"<h{max(3, int(tokens[idx].tag[1]))}>"
)
_COMMENT_MARKDOWN.add_render_rule(
    "heading_close", lambda self, tokens, idx, options, env: f"</h{max(3, int(tokens[idx].tag[1]))}>\n"
)


def comment_html(markdown: str) -> Markup:
    """A comment's Markdown as HTML that cannot carry markup of its own: raw HTML is shown as
    text, images are not rendered, and the result goes through an allow-list sanitiser (nh3:
    only the tags above, links only to http(s) and mailto, marked nofollow ugc)."""
    rendered = _COMMENT_MARKDOWN.render(markdown)
    clean = nh3.clean(
        rendered,
        tags=set(_COMMENT_TAGS),
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )
    return Markup(clean)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None: a `javascript:` link from a record must never be rendered."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def abs_link(paper: Paper) -> str | None:
    if safe_url(paper.abs_url):
        return safe_url(paper.abs_url)
    return f"https://arxiv.org/abs/{quote(paper.arxiv_id)}" if paper.arxiv_id else None


def pdf_link(paper: Paper) -> str | None:
    if safe_url(paper.pdf_url):
        return safe_url(paper.pdf_url)
    return f"https://arxiv.org/pdf/{quote(paper.arxiv_id)}" if paper.arxiv_id else None


def doi_link(paper: Paper) -> str | None:
    return f"https://doi.org/{quote(paper.doi, safe='/')}" if paper.doi else None


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")  # "host:8080/..." is a host with a port


def repository_link(link: str) -> str | None:
    """A code repository or project page as a link: papersift keeps them without the scheme
    ("github.com/owner/repo"), a few sources with it; anything but http(s) is no link."""
    link = link.strip()
    if not link:
        return None
    if _SCHEME.match(link):  # "javascript:", "data:": never a repository
        return safe_url(link)
    return safe_url("https://" + link)


def repository_label(link: str) -> str:
    """A repository as people read it: "github.com/owner/repo", without scheme or final slash."""
    return re.sub(r"^https?://(?:www\.)?", "", link.strip()).rstrip("/")


def value_text(value: float, unit: str | None) -> str:
    """A reported value with its unit: "87.3%", "58.7", "0.42 dB"."""
    number = f"{value:,.6g}" if abs(value) >= 10_000 else f"{value:g}"
    if not unit:
        return number
    return number + unit if unit == "%" else f"{number} {unit}"


def leaderboard_path(dataset: str, metric: str | None = None) -> str:
    """A leaderboard's address: the dataset as one path segment ("/" and spaces escaped; the
    route takes the rest of the path), the metric as a parameter."""
    path = "/leaderboards/" + quote(dataset, safe="")
    return path + ("?" + urlencode({"metric": metric}) if metric else "")


# Quoting is a fair share of a page's rendering time (hundreds of links per feed page), and the
# same authors, categories and ids recur from page to page: remember them.
@lru_cache(maxsize=65536)
def path_part(value: str) -> str:
    """A value as one URL path segment ("/" and "?" escaped): author names are free text."""
    return quote(value, safe="")


@lru_cache(maxsize=65536)
def paper_path(paper_id: str) -> str:
    # Old arXiv ids and DOIs hold "/": the route takes the rest of the path, so keep it.
    return "/papers/" + quote(paper_id, safe="/")


def dom_id(prefix: str, value: str) -> str:
    """An HTML id for a value (htmx restores focus to the element with the same id after a swap)."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", value)[:40]
    return f"{prefix}-{readable}-{hashlib.sha1(value.encode()).hexdigest()[:6]}"


def category_name(code: str) -> str:
    return CATEGORY_NAMES.get(code, "")


def long_date(day: date | None) -> str:
    """ "Wednesday, 1 July 2026" (no locale: the server's locale must not change the pages)."""
    if day is None:
        return ""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def short_date(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


def period_title(first: date, last: date, period: str) -> str:
    if period == "day":
        return long_date(first)
    if period == "month":
        return f"{first:%B %Y}"
    if first.year != last.year:
        return f"{short_date(first)} – {short_date(last)}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {short_date(last)}"
    return f"{first.day} – {short_date(last)}"


def excerpt(text: str, length: int = 280) -> str:
    """The first `length` characters of `text`, cut at a word, with an ellipsis when cut."""
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def author_list(authors: tuple[str, ...], shown: int = 4) -> tuple[list[str], int]:
    """The first `shown` authors and how many more there are."""
    return list(authors[:shown]), max(0, len(authors) - shown)


def parse_flag(value: str) -> bool | None:
    """A checkbox or toggle parameter: absent, empty or 0 is off; 1 (what the forms send), on or
    true is on; anything else None (the caller says which parameter was wrong)."""
    choice = value.strip().lower()
    if choice in ("", "0", "false", "off", "no"):
        return False
    if choice in ("1", "true", "on", "yes"):
        return True
    return None
