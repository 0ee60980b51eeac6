"""The post catalog (服务岗位) and the parser for a 认领岗位 cell.

The city's 15 posts hold everywhere. Districts add local posts through plugins; each is scoped
to an org-code prefix and may be claimed only by members whose report-in community lies in that
district. Codes are strings: ``"3"`` for 社情民意收集岗, whatever a plugin chooses for its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attrs

from partyreg_core.errors import PluginError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.text import clean, compact, nfkc, remove_whitespace

BUILTIN_PLUGIN = "partyreg"

# After NFKC, "，" "；" "／" are ASCII; "、" stays. Any run of separators or whitespace splits.
_SEPARATORS = re.compile(r"[,、;/\s]+")
_CODE_AND_NAME = re.compile(r"^(\d+)[.:：、]?(\D.*)$")


@attrs.frozen
class Post:
    """A service post: its code, its name, the district it is local to (``None``: city-wide) and
    the plugin that defined it."""

    code: str
    name: str
    district: OrgCode | None = None
    plugin: str = BUILTIN_PLUGIN
    description: str = ""

    @property
    def is_local(self) -> bool:
        """Whether the post is a district's own."""
        return self.district is not None

    def applies_to(self, district: OrgCode | None) -> bool:
        """Whether a member whose community lies in ``district`` may claim this post."""
        if self.district is None:
            return True
        return district is not None and district.is_within(self.district)


def normalise_post_code(token: str) -> str:
    """Normalise a typed post code: NFKC, no whitespace, no leading zeros on numbers."""
    value = compact(token)
    if value.isdigit():
        return str(int(value))
    if re.fullmatch(r"\d+\.0+", value):  # a number cell read as 3.0
        return str(int(float(value)))
    return nfkc(value.upper())


@attrs.frozen
class ClaimProblem:
    """One part of a 认领岗位 cell that could not be used."""

    code: str
    value: str
    message: str


@attrs.frozen
class ClaimResult:
    """The post codes a cell names (in the order written, repeats collapsed) and its problems."""

    codes: tuple[str, ...]
    problems: tuple[ClaimProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the cell is usable: at least one post and no problem."""
        return bool(self.codes) and not self.problems


class PostCatalog:
    """The city-wide posts plus every plugin's local posts, with clash checks."""

    def __init__(self, posts: Iterable[Post] = ()) -> None:
        self._posts: list[Post] = []
        # Derived from ``_posts`` and dropped by :meth:`add`: the sorted catalog, and per
        # district the posts that apply there with their code and name indexes.
        self._sorted: list[Post] | None = None
        self._available: dict[OrgCode | None, _Available] = {}
        for post in posts:
            self.add(post)

    def add(self, post: Post) -> None:
        """Add ``post``; raise :class:`PluginError` when its code clashes with a post that
        applies in an overlapping district, naming both plugins."""
        code = normalise_post_code(post.code)
        post = attrs.evolve(post, code=code, name=clean(post.name))
        if not code or not post.name:
            raise PluginError(
                "posts.invalid", f"插件 {post.plugin} 定义的岗位缺少代码或名称：{post!r}。"
            )
        for other in self._posts:
            if _overlaps(post.district, other.district) and (
                other.code == code or remove_whitespace(other.name) == remove_whitespace(post.name)
            ):
                what = f"代码 {code}" if other.code == code else f"名称“{post.name}”"
                raise PluginError(
                    "posts.clash",
                    f"岗位{what}冲突：插件 {other.plugin} 的“{other.code} {other.name}”"
                    f"与插件 {post.plugin} 的“{code} {post.name}”适用范围重叠。"
                    "请修改其中一个插件的岗位代码。",
                )
        self._posts.append(post)
        self._sorted = None
        self._available.clear()

    def all(self) -> list[Post]:
        """Every post, city-wide first, then local ones by district and code."""
        if self._sorted is None:
            self._sorted = sorted(self._posts, key=_post_order)
        return list(self._sorted)

    def for_district(self, district: OrgCode | None) -> list[Post]:
        """The posts a member whose community lies in ``district`` may claim.

        ``None`` (community not yet resolved) gives the city-wide posts only.
        """
        return list(self._for_district(district).posts)

    def _for_district(self, district: OrgCode | None) -> _Available:
        available = self._available.get(district)
        if available is None:
            if len(self._available) >= _MAX_DISTRICTS_KEPT:
                self._available.clear()
            if self._sorted is None:
                self._sorted = sorted(self._posts, key=_post_order)
            posts = tuple(p for p in self._sorted if p.applies_to(district))
            available = _Available(
                posts,
                {p.code: p for p in posts},
                {remove_whitespace(p.name): p for p in posts},
            )
            self._available[district] = available
        return available

    def get(self, code: str, district: OrgCode | None = None) -> Post | None:
        """The post with ``code`` valid in ``district``, or ``None``."""
        key = normalise_post_code(code)
        for post in self._for_district(district).posts:
            if post.code == key:
                return post
        return None

    def parse_claims(self, cell: str, district: OrgCode | None) -> ClaimResult:
        """Parse a 认领岗位 cell into post codes for a member of ``district``.

        Accepts codes and exact names separated by ``,，、;；/`` or whitespace, full-width digits,
        and the note's own style ``3、社情民意收集岗`` or ``10公共设施维护岗``. Every unknown part is
        reported on its own.
        """
        text = clean(cell)
        if not text:
            return ClaimResult(
                (),
                (
                    ClaimProblem(
                        "posts.missing",
                        cell,
                        "认领岗位为空：至少填写一个岗位代码，如 3 或 3、8。",
                    ),
                ),
            )
        available = self._for_district(district)
        by_code, by_name = available.by_code, available.by_name
        codes: list[str] = []
        problems: list[ClaimProblem] = []
        memo = available.tokens
        for token in (t for t in _SEPARATORS.split(text) if t):
            outcome = memo.get(token)
            if outcome is None:
                # What a token means depends on the catalog and the district alone: kept with
                # the district's posts, so a change to the catalog forgets it too.
                outcome = self._resolve(token, by_code, by_name, district)
                if len(memo) >= _MAX_TOKENS_KEPT:
                    memo.clear()
                memo[token] = outcome
            post, problem = outcome
            if problem is not None:
                problems.append(problem)
            elif post is not None and post.code not in codes:
                codes.append(post.code)
        if not codes and not problems:
            problems.append(
                ClaimProblem("posts.missing", cell, "认领岗位为空：至少填写一个岗位代码，如 3。")
            )
        return ClaimResult(tuple(codes), tuple(problems))

    def claims_anywhere(self, cell: str) -> ClaimResult | None:
        """:meth:`parse_claims` for a cell whose reading is the same whatever the member's
        district, else ``None``.

        That is a cell every part of which is a city-wide post's code (or one with no part at
        all): no local post may take a city-wide post's code (:meth:`add` refuses the clash),
        so each part means the same post in every district. Callers that judge many cells use
        it to remember one reading per cell instead of one per cell and district.
        """
        text = clean(cell)
        if text:
            city = self._for_district(None).by_code
            for token in _SEPARATORS.split(text):
                if token and normalise_post_code(token) not in city:
                    return None
        return self.parse_claims(cell, None)

    def _resolve(
        self,
        token: str,
        by_code: Mapping[str, Post],
        by_name: Mapping[str, Post],
        district: OrgCode | None,
    ) -> tuple[Post | None, ClaimProblem | None]:
        code = normalise_post_code(token)
        if code in by_code:
            return by_code[code], None
        if token in by_name:
            return by_name[token], None
        glued = _CODE_AND_NAME.match(token)
        if glued is not None:
            number, name = normalise_post_code(glued.group(1)), glued.group(2)
            if number in by_code and by_name.get(name) is by_code[number]:
                return by_code[number], None
        elsewhere = [
            p for p in self._posts if p.district is not None and (p.code == code or p.name == token)
        ]
        if elsewhere:
            where = "、".join(sorted({str(p.district) for p in elsewhere}))
            scope = (
                "报到社区尚未确认所属县区"
                if district is None
                else f"报到社区所属县区（{district}）"
            )
            return None, ClaimProblem(
                "posts.not_local",
                token,
                f"岗位“{token}”是 {where} 的地方岗位，{scope}不能认领：请改填全市通用岗位 1–15。",
            )
        return None, ClaimProblem(
            "posts.unknown",
            token,
            f"岗位“{token}”不存在：请填写岗位代码（全市通用 1–15"
            + ("，或本县区的地方岗位" if any(p.is_local for p in by_code.values()) else "")
            + "），多个岗位用顿号分隔，如 3、8。",
        )


# How many districts' post lists a catalog keeps at once (there are about twenty districts),
# and how many 认领岗位 tokens per district.
_MAX_DISTRICTS_KEPT = 256
_MAX_TOKENS_KEPT = 4096


@attrs.frozen(eq=False)
class _Available:
    """The posts that apply in one district, in catalog order, indexed by code and by name;
    ``tokens`` what each 认领岗位 token seen so far means there."""

    posts: tuple[Post, ...]
    by_code: Mapping[str, Post]
    by_name: Mapping[str, Post]
    tokens: dict[str, tuple[Post | None, ClaimProblem | None]] = attrs.field(factory=dict)


def _overlaps(a: OrgCode | None, b: OrgCode | None) -> bool:
    if a is None or b is None:
        return True
    return a.is_within(b) or b.is_within(a)


def _post_order(post: Post) -> tuple[int, tuple[str, ...], int, str]:
    numeric = int(post.code) if post.code.isdigit() else 10**6
    return (
        1 if post.is_local else 0,
        post.district.segments if post.district else (),
        numeric,
        post.code,
    )
