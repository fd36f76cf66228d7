"""The Hugging Face Papers API's JSON shapes, and the paper page as markdown, built from papersift's papers.

`huggingface_hub.HfApi(endpoint=...)` parses these (`PaperInfo`, `PaperAuthor`, `User`), and other
clients of https://huggingface.co/api read the same keys, so the models below mirror a recorded
`/api/daily_papers` response key by key: a key the real service always sends is always sent (with
a neutral default when papersift does not know the value), a key it sends only sometimes
(`githubRepo`, `projectPage`, `organization`, ...) is sent only when papersift knows it. Routes
that return these models drop None values (`response_model_exclude_none`), which is how the
optional keys stay absent.

Who submitted a paper to the daily list: once members curate (`papersift.members.curation`), the daily
papers are the curated entries, with their first submitter (`submittedBy`: the member's name, and
as handle that name in lower case with dashes) and the time of submission (`submittedOnDailyAt`).
Before anyone curates, the daily papers are every new paper: then the submitter is one "papersift"
account (`IMPORTER`) and `submittedOnDailyAt` is the paper's publication day.

What papersift cannot know, and what it sends instead:
- Hub ids (`_id`, `discussionId`): stable 24-hex-digit hashes of the paper id (and author
  position), the length and alphabet of the Hub's own ids;
- AI summaries, thumbnails: empty (`""`, `[]`), never invented. `numComments` counts the
  paper's comments on papersift. `ai_keywords` holds
  the paper's own keywords where the source gave some.

Pure functions: no Library, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from papersift.records import Paper
from papersift.web.render import repository_link

# The one account every imported paper is "submitted" by (see the module docstring).
IMPORTER_NAME = "papersift"
_HANDLE_WORD = re.compile(r"[^\W_]+")


def hub_id(*parts: str) -> str:
    """A stable id shaped like the Hub's (24 hex digits, a MongoDB ObjectId) for `parts`."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def hub_time(day: date | None) -> str | None:
    """A day as the Hub writes instants ("2026-06-12T00:00:00.000Z"); papersift knows days only."""
    return f"{day.isoformat()}T00:00:00.000Z" if day else None


class _HubModel(BaseModel):
    # `_id` is set by its alias; every other field is named as on the wire.
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


class HfAuthor(_HubModel):
    """An author as the Hub lists one (no Hub account is ever linked: no `user`, `status`)."""

    id: str = Field(alias="_id", description="Stable id of this author of this paper")
    name: str
    hidden: bool = False


class HfSubmittedBy(_HubModel):
    """`submittedBy` of a daily paper: the Hub account that put it in the feed."""

    id: str = Field(alias="_id")
    avatarUrl: str = ""
    fullname: str
    name: str
    type: str = "user"
    isPro: bool = False
    isHf: bool = False
    isHfAdmin: bool = False
    isMod: bool = False
    isUserFollowing: bool = False


class HfSubmittedOnDailyBy(_HubModel):
    """`paper.submittedOnDailyBy`: the same account in the shorter form the Hub nests in a paper."""

    id: str = Field(alias="_id")
    avatarUrl: str = ""
    fullname: str
    isPro: bool = False
    name: str
    type: str = "user"
    user: str


class HfPaper(_HubModel):
    """A paper as `GET /api/papers/{id}` returns it, and as `paper` inside a daily paper."""

    id: str = Field(description="The paper's id (arXiv id without version where there is one)")
    authors: list[HfAuthor]
    publishedAt: str | None = Field(
        default=None, description="Publication day, as an instant at midnight UTC"
    )
    submittedOnDailyAt: str | None = Field(
        default=None, description="The day papersift's daily feed shows it"
    )
    submittedOnDailyBy: HfSubmittedOnDailyBy
    title: str
    summary: str = Field(description="The abstract")
    upvotes: int
    discussionId: str
    ai_summary: str = Field(default="", description="Always empty: papersift writes no summaries")
    ai_keywords: list[str] = Field(description="The paper's own keywords, where its source gave some")
    ai_summary_model: str = ""
    githubRepo: str | None = Field(
        default=None, description="The paper's first GitHub repository (curated, else found in its text)"
    )
    projectPage: str | None = Field(
        default=None, description="The paper's project page, if its text gives one"
    )


class HfDailyPaper(_HubModel):
    """An item of `GET /api/daily_papers` and of `GET /api/papers/search`."""

    paper: HfPaper
    publishedAt: str | None = None
    title: str
    summary: str
    thumbnail: str = ""
    numComments: int = Field(
        default=0, description="Comments on the paper on papersift (removed ones not counted)"
    )
    submittedBy: HfSubmittedBy
    isAuthorParticipating: bool = False


class HfError(BaseModel):
    """Errors, as the Hub sends them (`error`) and as FastAPI does (`detail`)."""

    error: str = Field(description="What was wrong, in words")
    detail: object = Field(description="The same message, or FastAPI's list of invalid parameters")


IMPORTER_ID = hub_id("user", IMPORTER_NAME)
SUBMITTED_BY = HfSubmittedBy(_id=IMPORTER_ID, fullname=IMPORTER_NAME, name=IMPORTER_NAME)
SUBMITTED_ON_DAILY_BY = HfSubmittedOnDailyBy(
    _id=IMPORTER_ID, fullname=IMPORTER_NAME, name=IMPORTER_NAME, user=IMPORTER_NAME
)


def github_repo(paper: Paper) -> str | None:
    """The paper's first GitHub repository (curated ones come first), as an https URL: the Hub's
    `githubRepo` is always a GitHub address, and clients read owner and name from it."""
    for link in paper.code:
        url = repository_link(link)
        if url and urlsplit(url).hostname in ("github.com", "www.github.com"):
            return url
    return None


def project_page(paper: Paper) -> str | None:
    """The paper's first project page, as an https URL."""
    for link in paper.project_urls:
        url = repository_link(link)
        if url:
            return url
    return None


@dataclass(frozen=True)
class DailySubmission:
    """Who put a paper on a day's list, and when (ISO time, UTC)."""

    user_id: int
    name: str
    submitted_at: str


def handle(name: str) -> str:
    """A member's name as a Hub-style handle ("Ada Lovelace" -> "ada-lovelace")."""
    return "-".join(_HANDLE_WORD.findall(name.casefold())) or "member"


def hub_instant(moment: str) -> str:
    """An ISO time ("2026-11-20T14:03:09+00:00") as the Hub writes instants."""
    return moment[:19] + ".000Z"


def _submitted_by(submission: DailySubmission | None) -> tuple[HfSubmittedBy, HfSubmittedOnDailyBy]:
    if submission is None:
        return SUBMITTED_BY, SUBMITTED_ON_DAILY_BY
    hub_user = hub_id("user", str(submission.user_id))
    name = handle(submission.name)
    return (
        HfSubmittedBy(_id=hub_user, fullname=submission.name, name=name),
        HfSubmittedOnDailyBy(_id=hub_user, fullname=submission.name, name=name, user=name),
    )


def hf_paper(paper: Paper, upvotes: int, submission: DailySubmission | None = None) -> HfPaper:
    day = hub_time(paper.published)
    _by, on_daily_by = _submitted_by(submission)
    return HfPaper(
        id=paper.id,
        authors=[
            HfAuthor(_id=hub_id(paper.id, str(position), name), name=name)
            for position, name in enumerate(paper.authors)
        ],
        publishedAt=day,
        submittedOnDailyAt=hub_instant(submission.submitted_at) if submission else day,
        submittedOnDailyBy=on_daily_by,
        title=paper.title,
        summary=paper.abstract,
        upvotes=upvotes,
        discussionId=hub_id("discussion", paper.id),
        ai_keywords=list(paper.keywords),
        githubRepo=github_repo(paper),
        projectPage=project_page(paper),
    )


def hf_daily_paper(
    paper: Paper, upvotes: int, *, comments: int = 0, submission: DailySubmission | None = None
) -> HfDailyPaper:
    return HfDailyPaper(
        paper=hf_paper(paper, upvotes, submission),
        publishedAt=hub_time(paper.published),
        title=paper.title,
        summary=paper.abstract,
        numComments=comments,
        submittedBy=_submitted_by(submission)[0],
    )


def paper_markdown(paper: Paper) -> str:
    """The paper page as markdown (`GET /papers/{id}.md`): title, authors, facts, links, abstract.

    Text goes in as written, not markdown-escaped: readers of this are people and language
    models reading plain text, and LaTeX abstracts are full of `_`, `*` and `[`, which escaping
    would litter with backslashes. It is served as text/markdown, which a browser never runs.
    """
    lines = [f"# {paper.title}", ""]
    facts: list[str] = []
    if paper.authors:
        facts.append("**Authors:** " + ", ".join(paper.authors))
    if paper.published:
        when = paper.published.isoformat()
        if paper.updated and paper.updated != paper.published:
            when += f" (updated {paper.updated.isoformat()})"
        facts.append(f"**Published:** {when}")
    if paper.categories:
        facts.append("**Categories:** " + ", ".join(paper.categories))
    if paper.journal_ref:
        facts.append(f"**Journal:** {paper.journal_ref}")
    if paper.comment:
        facts.append(f"**Comment:** {paper.comment}")
    # Two trailing spaces: a line break in markdown, so each fact stays on its own line.
    lines += [fact + "  " for fact in facts[:-1]] + facts[-1:]
    links = []
    if paper.abs_url:
        links.append(f"- arXiv: <{paper.abs_url}>")
    if paper.pdf_url:
        links.append(f"- PDF: <{paper.pdf_url}>")
    if paper.doi:
        links.append(f"- DOI: <https://doi.org/{paper.doi}>")
    links += [f"- Code: <{url}>" for url in map(repository_link, paper.code) if url]
    links += [f"- Project page: <{url}>" for url in map(repository_link, paper.project_urls) if url]
    if links:
        lines += ["", "## Links", "", *links]
    if paper.abstract:
        lines += ["", "## Abstract", "", paper.abstract]
    if paper.results:
        lines += ["", "## Reported results", "", "| Dataset | Metric | Value |", "|---|---|---|"]
        lines += [f"| {_cell(r.dataset)} | {_cell(r.metric)} | {r.value:g} |" for r in paper.results]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
