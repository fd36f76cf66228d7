"""Code repositories and project pages named in an abstract or comment, normalised.

A paper's repository is written a dozen ways: with or without scheme and `www.`, with `.git`,
a `/tree/main/...` path, a full stop from the sentence, inside `\\url{...}` or `\\href{..}{..}`,
repeated in braces by page exports, or broken across arXiv's hard line breaks. All of them
normalise to `host/owner/repo` (lowercase), so one repository is one string everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Hosts whose `owner/repo` paths are source repositories (Hugging Face: models and spaces).
_REPO_HOSTS = {
    "github.com": "github.com",
    "gitlab.com": "gitlab.com",
    "gitee.com": "gitee.com",
    "bitbucket.org": "bitbucket.org",
    "codeberg.org": "codeberg.org",
    "huggingface.co": "huggingface.co",
    "hf.co": "huggingface.co",
}
# First path segments that are site pages, not owners ("github.com/features/...").
_NOT_OWNERS = {
    "about", "apps", "collections", "enterprise", "explore", "features", "login", "marketplace",
    "orgs", "pricing", "search", "settings", "sponsors", "topics", "trending", "users", "site",
    "docs", "blog", "papers", "datasets", "organizations", "models", "tasks", "learn", "join",
}  # fmt: skip
# Path segments after which a repository URL points inside the repository.
_INSIDE_REPO = {"tree", "blob", "-", "releases", "issues", "pulls", "wiki", "raw", "commit", "src", "resolve"}

# Cheap substring tests (on the lowercased text) before any regex: this runs on every import.
# Every URL start or pages host below holds one of these.
_LINK_KEYS = ("://", "www.", ".com/", ".org/", ".co/", ".io")
_PROMISE_KEYS = (
    "availab", "releas", "open-sourc", "open sourc", "opensourc", "coming soon", "upon acceptance",
    "after review", "publicly", "publish",
)  # fmt: skip
_PROMISE_SUBJECTS = (
    "code", "implementation", "model", "weight", "checkpoint", "toolkit", "library", "resources", "repo",
    "platform", "tool", "software", "package", "framework", "system", "project",
)  # fmt: skip
_SENTENCE_BREAK = re.compile(r"[.;!?]\s")

# Markup debris from arXiv listings and page exports, removed before URLs are read.
_PLACEHOLDER = re.compile(r"\{\s*this\s+https?\s+URL\s*\}", re.I)
_LATEX_URL = re.compile(r"\\(?:url|href|hyperlink)\s*\{([^{}]*)\}")
# A URL broken by a hard line break inside a name ("KVQE-\nChallenge") or right after a slash
# when what follows is itself a path ("github.com/\nowner/repo").
_BROKEN_AFTER_DASH = re.compile(r"((?:https?://|www\.)\S*[-_])[ \t]*\n[ \t]*(?=[\w.-])")
_BROKEN_AFTER_SLASH = re.compile(r"((?:https?://|www\.)\S*/)[ \t]*\n[ \t]*(?=[\w.-]+/[\w.-])")
# URLs are read word by word: the words that hold a URL start (or a pages host) are found with
# one scan for those keys, then read from their first URL start.
_URL_BOUNDARY = re.compile(r"[\s<>\"'{}\\|^`]+")
_BOUNDARY_MARKS = frozenset("<>\"'{}\\|^`")
_URL_STARTS = ("https://", "http://", "www.", *(f"{host}/" for host in _REPO_HOSTS))
_PAGES_HOSTS = (".github.io", ".gitlab.io")
_URL_KEYS = (*_URL_STARTS, *_PAGES_HOSTS)
_URL_KEY = re.compile("|".join(re.escape(key) for key in _URL_KEYS), re.I)
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.I)
_EDGE_PUNCTUATION = ".,;:!?'\"*`"
# "Code will be released", "we open-source our models", "available on GitHub": a promise only
# when the text gives no link (data alone is not code: "we release the dataset" is no promise).
# Read on the lowercased text (a case-insensitive regex scans far slower).
_PROMISE = re.compile(
    r"\b(?:code|codes|source\s+code|implementation|models?|weights|checkpoints|toolkit|library|resources)\b"
    r"[^.;]{0,100}?\b(?:will|would|shall|is|are|to|has|have)\s+(?:also\s+|soon\s+|then\s+|all\s+)?(?:be|been)\s+"
    r"(?:made\s+|fully\s+|publicly\s+|freely\s+|openly\s+|open[- ]?)*"
    r"(?:available|released|public|open[- ]?sourced?|shared|accessible|provided)"
    r"|\b(?:we|will|to)\s+(?:also\s+|publicly\s+|fully\s+|further\s+|plan\s+to\s+)?"
    r"(?:release|open[- ]?source|publish)\b"
    r"[^.;]{0,60}?\b(?:code|codes|implementation|models?|weights|checkpoints|toolkit|library|framework)\b"
    r"|\bopen[- ]?sourced?\s+(?:project|implementation|code|toolkit|library|release)"
    r"|\b(?:an?|our)\s+open[- ]?sourced?\s+(?:[\w-]+\s+){0,2}"
    r"(?:platform|tool|toolkit|library|framework|software|package|system)"
    r"|\b(?:code|codes|implementation|repo|repository)\b[^.;]{0,60}?\b"
    r"(?:coming\s+soon|upon\s+(?:acceptance|publication)|after\s+(?:the\s+)?review)"
    r"|\b(?:code|codes)\s+(?:and\s+\w+\s+)?(?:is|are)\s+"
    r"(?:publicly\s+|freely\s+|open[- ]?source\s+and\s+)?available\b",
)


@dataclass(frozen=True, slots=True)
class CodeLinks:
    """Repositories ("github.com/owner/repo") and project pages, first appearance first."""

    code_urls: tuple[str, ...] = ()
    project_urls: tuple[str, ...] = ()
    promised: bool = False  # "code will be released" with no repository given


def find_code_links(*texts: str | None) -> CodeLinks:
    """Code links in the given texts (abstract, comment, ...); None and empty texts are skipped."""
    code: dict[str, None] = {}  # an ordered set
    pages: dict[str, None] = {}
    promise = placeholder = False
    for text in texts:
        if not text:
            continue
        lowered = text.lower()
        # "/" is found fastest (one character); every key but "www." and ".io" holds one.
        if ("/" in text or "www." in lowered or ".io" in lowered) and _holds_any(lowered, _LINK_KEYS):
            for url in _urls(text):
                repository = normalise_repository(url)
                if repository is not None:
                    code.setdefault(repository)
                    continue
                page = normalise_project_page(url)
                if page is not None:
                    pages.setdefault(page)
        if "{" in text and _PLACEHOLDER.search(text):
            placeholder = True  # the link was there, lost in the export: not a promise
        if not promise and not code and not pages and _may_promise(lowered):
            promise = True
    return CodeLinks(tuple(code), tuple(pages), promise and not code and not pages and not placeholder)


def _may_promise(lowered: str) -> bool:
    """A promise of code, read only in the sentences that hold a release word."""
    # Only the sentences that hold a release word (usually one) are read.
    read: set[int] = set()
    subject = False
    for key in _PROMISE_KEYS:
        at = lowered.find(key)
        if at >= 0 and not subject:
            if not _holds_any(lowered, _PROMISE_SUBJECTS):
                return False
            subject = True
        while at >= 0:
            start = _sentence_start(lowered, at)
            if start not in read:
                read.add(start)
                end = _SENTENCE_BREAK.search(lowered, at)
                if _PROMISE.search(lowered, start, end.start() if end is not None else len(lowered)):
                    return True
            at = lowered.find(key, at + 1)
    return False


def _sentence_start(text: str, at: int) -> int:
    """Where the sentence holding `at` starts: after the last "[.;!?]" and whitespace before it."""
    end = at
    while True:
        mark = max(
            text.rfind(".", 0, end), text.rfind(";", 0, end), text.rfind("!", 0, end), text.rfind("?", 0, end)
        )
        if mark < 0:
            return 0
        if mark + 1 < at and text[mark + 1].isspace():
            return mark + 2
        end = mark


def _holds_any(text: str, keys: tuple[str, ...]) -> bool:
    for key in keys:  # noqa: SIM110 (a loop: cheaper than any() over a generator)
        if key in text:
            return True
    return False


def _urls(text: str) -> list[str]:
    """The URLs in a text, markup removed."""
    if "{" in text or "\\" in text:
        text = _PLACEHOLDER.sub(" ", text)
        text = _LATEX_URL.sub(r" \1 ", text)
    if "\n" in text and _may_break_url(text):
        text = _BROKEN_AFTER_DASH.sub(r"\1", text)
        text = _BROKEN_AFTER_SLASH.sub(r"\1", text)
    lowered = text.lower()
    if len(lowered) == len(text):  # one character for one: offsets in `lowered` hold in `text`
        keys = sorted(i for key in _URL_KEYS for i in _occurrences(lowered, key))
    else:
        keys = [match.start() for match in _URL_KEY.finditer(text)]
    found = []
    covered = 0  # end of the last word read
    for key in keys:
        if key < covered:
            continue  # a second key in a word already read ("https://www.github.com/...")
        start = key
        while start > 0 and not _is_boundary(text[start - 1]):
            start -= 1
        boundary = _URL_BOUNDARY.search(text, key)
        covered = boundary.start() if boundary is not None else len(text)
        url = _url_in_word(text[start:covered])
        if url is not None:
            found.append(url)
    return found


def _may_break_url(text: str) -> bool:
    """Whether a line ends with "-", "_" or "/" (the URL-breaking patterns scan slowly)."""
    return any(line.rstrip(" \t").endswith(("-", "_", "/")) for line in text.split("\n")[:-1])


def _occurrences(text: str, key: str) -> list[int]:
    found = []
    index = text.find(key)
    while index >= 0:
        found.append(index)
        index = text.find(key, index + 1)
    return found


def _is_boundary(char: str) -> bool:
    return char.isspace() or char in _BOUNDARY_MARKS


def _url_in_word(word: str) -> str | None:
    """The URL a word holds: from its first URL start (not inside a longer word), or a pages host."""
    lowered = word.lower()
    starts = [i for i in (lowered.find(prefix) for prefix in _URL_STARTS) if i >= 0]
    if starts:
        start = min(starts)
        if start == 0 or not lowered[start - 1].isalnum():
            return word[start:]
        return None
    if any(host in lowered for host in _PAGES_HOSTS):
        return word.lstrip("([:;,")
    return None


def _strip_edges(url: str) -> str:
    """Sentence punctuation and unbalanced closing brackets removed from the end of a URL."""
    while url:
        last = url[-1]
        unbalanced = (last == ")" and url.count("(") < url.count(")")) or (
            last == "]" and url.count("[") < url.count("]")
        )
        if last in _EDGE_PUNCTUATION or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _host_and_path(url: str) -> tuple[str, list[str]]:
    url = _strip_edges(_SCHEME.sub("", url.strip()))
    url = re.split(r"[?#]", url, maxsplit=1)[0]
    host, _, path = url.partition("/")
    host = host.lower().rstrip(".")
    if ":" in host:  # a port
        host = host.split(":", 1)[0]
    segments = [segment for segment in path.split("/") if segment]
    return host, segments


def normalise_repository(url: str) -> str | None:
    """`host/owner/repo` for a repository URL on a known code host, else None."""
    host, segments = _host_and_path(url)
    canonical_host = _REPO_HOSTS.get(host)
    if canonical_host is None:
        return None
    prefix = ""
    if canonical_host == "huggingface.co" and segments and segments[0].lower() == "spaces":
        prefix, segments = "spaces/", segments[1:]
    elif canonical_host == "gitlab.com":
        # GitLab nests groups: the repository is everything before "/-/" (or tree/blob).
        kept = []
        for segment in segments:
            if segment.lower() in _INSIDE_REPO:
                break
            kept.append(segment)
        segments = kept
        if len(segments) < 2 or segments[0].lower() in _NOT_OWNERS:
            return None
        path = "/".join(segments).lower()
        return f"{canonical_host}/{_strip_repo_suffix(path)}"
    if len(segments) < 2:
        return None
    owner, repo = segments[0], _strip_repo_suffix(segments[1])
    if owner.lower() in _NOT_OWNERS or not repo or not _looks_like_name(owner) or not _looks_like_name(repo):
        return None
    return f"{canonical_host}/{prefix}{owner}/{repo}".lower()


def _strip_repo_suffix(repo: str) -> str:
    repo = _strip_edges(repo)
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    return _strip_edges(repo)


_NAME = re.compile(r"^[\w.-]+$")


def _looks_like_name(segment: str) -> bool:
    return bool(_NAME.match(segment)) and segment.strip(".") != ""


def normalise_project_page(url: str) -> str | None:
    """Any other link about the project (pages, demos, datasets, user pages), normalised.

    The host is lowercased and the path kept as written (pages are served case-sensitively);
    scheme, `www.`, a trailing slash or `index.html` and sentence punctuation are dropped. A
    bare code host ("https://github.com.") names nothing and gives None.
    """
    host, segments = _host_and_path(url)
    if not host or "." not in host or not re.search(r"[a-z]", host.rsplit(".", 1)[-1]):
        return None
    if segments and segments[-1].lower() in ("index.html", "index.htm"):
        segments = segments[:-1]
    if host in _REPO_HOSTS and not segments:
        return None
    return "/".join([host, *segments])
