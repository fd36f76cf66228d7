"""Code links in abstracts and comments: every written form normalises to one `host/owner/repo`."""

from __future__ import annotations

import pytest

from papersift.extract import CodeLinks, find_code_links


@pytest.mark.parametrize(
    ("text", "code_urls"),
    [
        ("Code: https://github.com/Owner/Repo", ("github.com/owner/repo",)),
        ("at https://github.com/OpenAI/CLIP.", ("github.com/openai/clip",)),  # full stop of the sentence
        ("challenge (https://github.com/alibabasglab/FRCRN).", ("github.com/alibabasglab/frcrn",)),
        ("at~https://github.com/Zplusdragon/PLIP", ("github.com/zplusdragon/plip",)),
        ("see http://www.github.com/a/b.git", ("github.com/a/b",)),
        ("see github.com/a/b, and more", ("github.com/a/b",)),
        (
            "https://github.com/huawei-noah/ghostnet/tree/master/tinynet_pytorch,",
            ("github.com/huawei-noah/ghostnet",),
        ),
        (
            "https://github.com/PaddlePaddle/PaddleOCR/blob/dygraph/doc/x.md{this https URL}.",
            ("github.com/paddlepaddle/paddleocr",),
        ),
        ("https://github.com/a/b-c{https://github.com/a/b-c}.", ("github.com/a/b-c",)),
        ("https://github.com/a/b#readme", ("github.com/a/b",)),
        ("https://github.com/a/b?tab=1", ("github.com/a/b",)),
        ("code at \\url{https://github.com/a/b}.", ("github.com/a/b",)),
        ("\\href{https://github.com/a/b}{here}", ("github.com/a/b",)),
        ("https://gitlab.com/group/subgroup/repo.", ("gitlab.com/group/subgroup/repo",)),
        ("https://gitlab.com/a/b/-/tree/7e0f11f", ("gitlab.com/a/b",)),
        ("https://gitee.com/mindspore/mindspore/tree/master/x.", ("gitee.com/mindspore/mindspore",)),
        ("https://bitbucket.org/Team/Tool", ("bitbucket.org/team/tool",)),
        ("https://codeberg.org/fuchsfa/seismic", ("codeberg.org/fuchsfa/seismic",)),
        (
            "https://huggingface.co/IDEA-CCNL/Taiyi-XL-3.5B/{this https URL},",
            ("huggingface.co/idea-ccnl/taiyi-xl-3.5b",),
        ),
        ("https://huggingface.co/org/model/tree/main", ("huggingface.co/org/model",)),
        ("Demo: https://huggingface.co/spaces/Org/App", ("huggingface.co/spaces/org/app",)),
        ("https://hf.co/spaces/org/app", ("huggingface.co/spaces/org/app",)),
        # arXiv's hard line breaks: inside a name after a hyphen, or right after a slash
        (
            "at https://github.com/lixinustc/KVQE-\nChallengeCVPR-NTIRE2025.",
            ("github.com/lixinustc/kvqe-challengecvpr-ntire2025",),
        ),
        ("link https://github.com/\nGepardius/Taetz_Bordelius.", ("github.com/gepardius/taetz_bordelius",)),
        ("at https://github.com/yongxianLiu/\nsoon.", ()),  # an owner alone is no repository
        # repeated and ordered
        (
            "https://github.com/b/b and https://github.com/a/a and github.com/B/B",
            ("github.com/b/b", "github.com/a/a"),
        ),
        # not repositories
        ("available at https://github.com.", ()),
        ("publicly available on GitHub.", ()),
        ("https://huggingface.co/datasets/org/data", ()),
        ("https://github.com/orgs/team/repositories", ()),
    ],
)
def test_code_urls(text: str, code_urls: tuple[str, ...]) -> None:
    assert find_code_links(text).code_urls == code_urls


@pytest.mark.parametrize(
    ("text", "project_urls"),
    [
        (
            "Please refer to our https://1073521013.github.io/glyph-draw.github.io/{project page}.",
            ("1073521013.github.io/glyph-draw.github.io",),
        ),
        (
            "Project Page: https://immortalco.github.io/DressAndDance/",
            ("immortalco.github.io/DressAndDance",),
        ),
        ("page: https://Lab.GitHub.io/Page/index.html.", ("lab.github.io/Page",)),
        ("https://huggingface.co/datasets/nvidia/MMOU", ("huggingface.co/datasets/nvidia/MMOU",)),
        ("available at https://ut-sysml.org/walloc", ("ut-sysml.org/walloc",)),
        ("accessed from https://yuewen.cn/videos as well.", ("yuewen.cn/videos",)),
        ("models at https://huggingface.co/inceptionai.", ("huggingface.co/inceptionai",)),
        ("page at mono2stereo-bench.github.io.", ("mono2stereo-bench.github.io",)),
        ("Code: https://github.com/a/b", ()),
    ],
)
def test_project_urls(text: str, project_urls: tuple[str, ...]) -> None:
    assert find_code_links(text).project_urls == project_urls


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Code will be made available.", True),
        ("The code and models will be open-sourced.", True),
        ("Our code will be released upon acceptance.", True),
        ("(Github repo link will be provided after review)", True),
        ("The source code is publicly available on GitHub.", True),
        ("Quantune is implemented on a compiler as an open-sourced project.", True),
        ("we release popular video-language pre-training models, ALPRO and mPLUG-2", True),
        ("Code will be available at https://github.com/x/y.", False),  # a link, not a promise
        ("Code is available at https://some.github.io/page.", False),  # a location is given
        ("Code is available at {this https URL}.", False),  # the link was lost in the export
        ("The measurements will be made publicly accessible.", False),  # data only
        ("We release the dataset to the community.", False),
        ("Open-source models such as LLaMA lag behind.", False),
        ("We study how models are evaluated.", False),
    ],
)
def test_code_promised(text: str, promised: bool) -> None:
    assert find_code_links(text).promised is promised


def test_abstract_and_comment_are_read_together_without_duplicates() -> None:
    links = find_code_links(
        "Code: https://github.com/A/B.",
        None,
        "Project page: https://a.github.io/b/ code https://github.com/a/b",
    )
    assert links == CodeLinks(("github.com/a/b",), ("a.github.io/b",), False)


def test_no_text_no_links() -> None:
    assert find_code_links(None, "") == CodeLinks((), (), False)
