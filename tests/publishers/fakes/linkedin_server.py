"""A fake LinkedIn API on 127.0.0.1 that enforces LinkedIn's rules with its own checks.

Endpoints: ``POST /rest/posts``, ``GET /rest/posts?q=author`` (the author finder),
``POST /rest/images?action=initializeUpload``, ``PUT /dms-uploads/:key`` (the upload address it
hands out), ``POST /rest/socialActions/:urn/comments``, ``GET /rest/organizationAcls``,
``GET /v2/userinfo``.

Rules enforced (sources: ../shared/PLATFORMS.md, LinkedIn section; the error bodies follow the
shape of LinkedIn's, `status`/`serviceErrorCode`/`code`/`message`, as public reports show them,
not verified against LinkedIn itself):
- Bearer tokens: unknown 401 INVALID_ACCESS_TOKEN, expired 401 EXPIRED_ACCESS_TOKEN, revoked
  401 REVOKED_ACCESS_TOKEN; each token has scopes (403 ACCESS_DENIED without the one needed:
  w_member_social to post as oneself, r_member_social to read one's posts, openid + profile for
  userinfo; for an organization, w_/r_organization_social and a role in it).
- Every /rest call needs `X-Restli-Protocol-Version: 2.0.0` and a `LinkedIn-Version` the server
  serves (`versions`); a retired or unknown one gets 426 NONEXISTENT_VERSION.
- Commentary: at most 3000 characters (422 beyond). It is read as little text: a backslash
  escapes the next reserved character, `{hashtag|\\#|word}` is a hashtag and
  `@[Name](urn:li:...)` a mention; at the first other reserved character LinkedIn **silently
  cuts** the post: the fake stores and shows it cut there, and answers 201 all the same.
- A URN in a path (the comments of a post) must be percent-encoded, as Rest.li 2.0 wants.
- Images: initialized by the author, uploaded (JPG, GIF or PNG under 36,152,320 pixels) before a
  post uses them; an unknown or not uploaded id is refused 422. Multi-image: 2 to 20.
- The same commentary by the same author again: 422 with `errorDetails.inputErrors[].code =
  DUPLICATE_POST` and "Content is a duplicate of <the earlier URN>".
- Daily limits per member reset at midnight UTC (fake clock): 429 TOO_MANY_REQUESTS, with no
  reset header (LinkedIn sends none).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from PIL import Image

from .base import FakeClock, FakeServer, HttpError, Request, Response, Route, sniff_image

COMMENTARY_LIMIT = 3000
MAX_PIXELS = 36_152_320
IMAGE_TYPES = ("image/jpeg", "image/gif", "image/png")
LATEST_VERSION = "202611"
DAY = 86_400.0
RESERVED = frozenset("\\|{}@[]()<>#*_~")
_HASHTAG = re.compile(r"\{hashtag\|\\#\|((?:\\.|[^{}|\\])+)\}")
_MENTION = re.compile(r"@\[((?:\\.|[^\]\\])*)\]\((urn:li:(?:person|organization):[^)\s]+)\)")
_ESCAPED = re.compile(r"\\(.)")
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMIN", "DIRECT_SPONSORED_CONTENT_POSTER")


def served_versions(latest: str = LATEST_VERSION, months: int = 12) -> tuple[str, ...]:
    """The `months` monthly versions up to `latest` (YYYYMM): what the server answers to."""
    year, month = int(latest[:4]), int(latest[4:])
    out = []
    for _ in range(months):
        out.append(f"{year:04d}{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(out)


def read_little_text(commentary: str) -> tuple[str, str, int | None]:
    """(what LinkedIn keeps, what it shows, where it cut or None): at the first reserved
    character that is neither escaped nor part of a template, the text ends."""
    shown: list[str] = []
    i = 0
    while i < len(commentary):
        char = commentary[i]
        if char == "\\" and i + 1 < len(commentary) and commentary[i + 1] in RESERVED:
            shown.append(commentary[i + 1])
            i += 2
            continue
        if char == "{" and (tag := _HASHTAG.match(commentary, i)):
            shown.append("#" + _ESCAPED.sub(r"\1", tag.group(1)))
            i = tag.end()
            continue
        if char == "@" and (mention := _MENTION.match(commentary, i)):
            shown.append(_ESCAPED.sub(r"\1", mention.group(1)))
            i = mention.end()
            continue
        if char in RESERVED:
            return commentary[:i], "".join(shown), i
        shown.append(char)
        i += 1
    return commentary, "".join(shown), None


@dataclass
class Member:
    person_id: str
    name: str
    token: str
    scopes: set[str]
    roles: dict[str, str] = field(default_factory=dict)  # organization URN -> role
    expired: bool = False
    revoked: bool = False

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.person_id}"


@dataclass
class LinkedInImage:
    urn: str
    owner: str
    upload_key: str
    data: bytes | None = None
    content_type: str | None = None


@dataclass
class LinkedInPost:
    urn: str
    author: str
    commentary: str  # as LinkedIn keeps it: cut at an unescaped reserved character
    shown: str  # what readers see
    sent: str  # the commentary as it was received
    images: list[tuple[str, str]]  # (image URN, alt text)
    created_at: float
    cut_at: int | None = None
    visibility: str = "PUBLIC"


@dataclass
class LinkedInComment:
    post: str
    actor: str
    text: str
    created_at: float


def _error(status: int, code: str, message: str, service_code: int | None = None) -> Response:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    return Response(status, body)


def _refuse(status: int, code: str, message: str, service_code: int | None = None) -> HttpError:
    return HttpError(_error(status, code, message, service_code))


class LinkedInServer(FakeServer):
    """The fake LinkedIn API. Use as a context manager; the API base is `base_url + "/rest"`."""

    def __init__(self, *, token: str = "test-linkedin-token", person_id: str = "crierAuthor1",
                 name: str = "Ada Author", clock: FakeClock | None = None,
                 scopes: tuple[str, ...] = ("openid", "profile", "w_member_social",
                                            "r_member_social"),
                 versions: tuple[str, ...] | None = None, posts_per_day: int = 150) -> None:
        super().__init__(clock=clock)
        self.versions = versions or served_versions()
        self.posts_per_day = posts_per_day
        self.upload_host: str | None = None  # hand out upload addresses on another host
        self.members: dict[str, Member] = {}  # by token
        self.posts: list[LinkedInPost] = []
        self.images: dict[str, LinkedInImage] = {}  # by URN
        self.comments: list[LinkedInComment] = []
        self._seq = 0
        self.add_member(token, person_id=person_id, name=name, scopes=scopes)
        self.add_route("POST", "/rest/posts", self._create_post)
        self.add_route("GET", "/rest/posts", self._find_posts)
        self.add_route("POST", "/rest/images", self._initialize_upload)
        self.add_route("PUT", "/dms-uploads/:key", self._upload)
        self.add_route("POST", "/rest/socialActions/:urn/comments", self._comment)
        self.add_route("GET", "/rest/organizationAcls", self._acls)
        self.add_route("GET", "/v2/userinfo", self._userinfo)

    # ---- configuration and helpers for tests -----------------------------------------------

    def add_member(self, token: str, *, person_id: str, name: str = "Another Member",
                   scopes: tuple[str, ...] = ("openid", "profile", "w_member_social")) -> Member:
        with self.lock:
            member = Member(person_id, name, token, set(scopes))
            self.members[token] = member
            return member

    @property
    def member(self) -> Member:
        """The first (default) member."""
        return next(iter(self.members.values()))

    def post(self, urn: str) -> LinkedInPost | None:
        with self.lock:
            return next((p for p in self.posts if p.urn == urn), None)

    def seed_post(self, commentary: str, author: str | None = None) -> LinkedInPost:
        """A post made outside Crier (by hand on LinkedIn)."""
        with self.lock:
            return self._store(author or self.member.urn, commentary, [])

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _store(self, author: str, commentary: str, images: list[tuple[str, str]]) -> LinkedInPost:
        kept, shown, cut = read_little_text(commentary)
        post = LinkedInPost(f"urn:li:share:{7_200_000_000_000_000_000 + self._next()}", author,
                            kept, shown, commentary, images, self.clock.now(), cut)
        self.posts.append(post)
        return post

    # ---- auth, headers, limits, error shape ------------------------------------------------

    def error_response(self, status: int, message: str) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            status, "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST")
        return _error(status, code, message)

    def fault_rate_limit_response(self, request: Request, route: Route | None,
                                  reset_epoch: float) -> Response:
        # LinkedIn names no reset time: the fault's is not sent either.
        return _error(429, "TOO_MANY_REQUESTS", "Resource level throttle MEMBER DAY limit for "
                      "calls to this resource is reached.", 101)

    def dispatch(self, request: Request, route: Route | None) -> Response:
        if route is None:
            return super().dispatch(request, route)
        header = request.header("authorization") or ""
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        member = self.members.get(token)
        if member is None:
            return _error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if member.revoked:
            return _error(401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been "
                          "revoked by the user", 65602)
        if member.expired:
            return _error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has "
                          "expired", 65601)
        request.context["member"] = member
        if request.path.startswith("/rest/"):
            problem = self._header_problem(request)
            if problem is not None:
                return problem
        return super().dispatch(request, route)

    def _header_problem(self, request: Request) -> Response | None:
        restli = request.header("x-restli-protocol-version")
        if restli != "2.0.0":
            return _error(400, "BAD_REQUEST", "X-Restli-Protocol-Version 2.0.0 is required for "
                          "this resource")
        version = (request.header("linkedin-version") or "").strip()
        if not version:
            return _error(400, "VERSION_MISSING", "A version must be present. Please specify a "
                          "version by adding the LinkedIn-Version header.")
        if version not in self.versions:
            return _error(426, "NONEXISTENT_VERSION", f"Requested version {version} is not "
                          "active")
        return None

    def _need(self, member: Member, scope: str, action: str) -> None:
        if scope not in member.scopes:
            raise _refuse(403, "ACCESS_DENIED", f"Not enough permissions to access: {action}",
                          100)

    def _may_act_as(self, member: Member, author: str, *, write: bool, action: str) -> None:
        """The token's member may write (or read) as `author`: herself, or an organization in
        which she has a role that may."""
        if author == member.urn:
            self._need(member, "w_member_social" if write else "r_member_social", action)
            return
        if author.startswith("urn:li:organization:"):
            self._need(member, "w_organization_social" if write else "r_organization_social",
                       action)
            if member.roles.get(author) in POSTING_ROLES:
                return
        raise _refuse(403, "ACCESS_DENIED", f"Not enough permissions to access: {action} as "
                      f"{author}", 100)

    def _json(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise _refuse(400, "BAD_REQUEST", "Malformed JSON body") from None
        if not isinstance(body, dict):
            raise _refuse(400, "BAD_REQUEST", "Malformed JSON body")
        return body

    # ---- posts -----------------------------------------------------------------------------

    def _create_post(self, request: Request) -> Response:
        member: Member = request.context["member"]
        body = self._json(request)
        author = str(body.get("author") or "")
        self._may_act_as(member, author, write=True, action="partnerApiPostsExternal.CREATE")
        commentary = body.get("commentary")
        if not isinstance(commentary, str):
            raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /commentary :: field is required")
        if len(commentary) > COMMENTARY_LIMIT:
            raise _refuse(422, "UNPROCESSABLE_ENTITY", f"ERROR :: /commentary :: length "
                          f"{len(commentary)} exceeds the maximum allowed {COMMENTARY_LIMIT}")
        if body.get("visibility") not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"):
            raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /visibility :: invalid value")
        distribution = body.get("distribution")
        if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in (
                "MAIN_FEED", "NONE"):
            raise _refuse(422, "UNPROCESSABLE_ENTITY",
                          "ERROR :: /distribution/feedDistribution :: field is required")
        if body.get("lifecycleState") != "PUBLISHED":
            raise _refuse(422, "UNPROCESSABLE_ENTITY",
                          "ERROR :: /lifecycleState :: only PUBLISHED is served by this fake")
        images = self._post_images(body.get("content"), author)
        window = self.limiter.hit("posts", member.urn, self.posts_per_day, DAY, aligned=True)
        if window.exceeded:
            raise _refuse(429, "TOO_MANY_REQUESTS", "Resource level throttle MEMBER DAY limit "
                          "for calls to this resource is reached.", 101)
        earlier = next((p for p in self.posts if p.author == author and p.sent == commentary),
                       None)
        if earlier is not None:
            message = f"Content is a duplicate of {earlier.urn}"
            return Response(422, {
                "status": 422, "message": f"ERROR :: /commentary :: {message}",
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "errorDetails": {"inputErrors": [{
                    "description": message, "code": "DUPLICATE_POST",
                    "input": {"inputPath": {"fieldPath": "/commentary"}}}]}})
        post = self._store(author, commentary, images)
        return Response(201, None, {"x-restli-id": post.urn})

    def _post_images(self, content: Any, author: str) -> list[tuple[str, str]]:
        if content is None:
            return []
        if not isinstance(content, dict):
            raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: invalid value")
        if "media" in content:
            items = [content["media"]]
        elif "multiImage" in content:
            items = (content["multiImage"] or {}).get("images") or []
            if not 2 <= len(items) <= 20:
                raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /content/multiImage/images "
                              ":: a multi-image post takes 2 to 20 images")
        else:
            raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: unsupported content")
        out = []
        for item in items:
            urn = str((item or {}).get("id") or "")
            image = self.images.get(urn)
            if image is None or image.owner != author:
                raise _refuse(422, "UNPROCESSABLE_ENTITY",
                              f"ERROR :: /content :: {urn or 'an image'} does not exist")
            if image.data is None:
                raise _refuse(422, "UNPROCESSABLE_ENTITY",
                              f"ERROR :: /content :: {urn} has not been uploaded")
            out.append((urn, str(item.get("altText") or "")))
        return out

    def _find_posts(self, request: Request) -> Response:
        member: Member = request.context["member"]
        if request.arg("q") != "author":
            raise _refuse(400, "BAD_REQUEST", "only the author finder is served by this fake")
        author = request.arg("author") or ""
        self._may_act_as(member, author, write=False, action="partnerApiPostsExternal.FINDER")
        start = int(request.arg("start") or 0)
        count = min(int(request.arg("count") or 10), 100)
        mine = sorted((p for p in self.posts if p.author == author),
                      key=lambda p: (p.created_at, p.urn), reverse=True)
        page = mine[start:start + count]
        elements = [{
            "id": p.urn, "author": p.author, "commentary": p.commentary,
            "visibility": p.visibility, "lifecycleState": "PUBLISHED",
            "createdAt": int(p.created_at * 1000), "publishedAt": int(p.created_at * 1000),
            "lastModifiedAt": int(p.created_at * 1000),
            "distribution": {"feedDistribution": "MAIN_FEED"},
        } for p in page]
        return Response(200, {"elements": elements,
                              "paging": {"start": start, "count": count, "links": []}})

    # ---- images ----------------------------------------------------------------------------

    def _initialize_upload(self, request: Request) -> Response:
        member: Member = request.context["member"]
        if request.arg("action") != "initializeUpload":
            raise _refuse(400, "BAD_REQUEST", "unknown action")
        owner = str((self._json(request).get("initializeUploadRequest") or {}).get("owner") or "")
        self._may_act_as(member, owner, write=True, action="images.ACTION.initializeUpload")
        number = self._next()
        urn = f"urn:li:image:C4D10AQ{number:010d}"
        key = f"upload-{number}"
        self.images[urn] = LinkedInImage(urn, owner, key)
        return Response(200, {"value": {
            "uploadUrlExpiresAt": int((self.clock.now() + DAY) * 1000),
            "uploadUrl": f"{self._upload_base()}/dms-uploads/{key}", "image": urn}})

    def _upload_base(self) -> str:
        if self.upload_host is None:
            return self.base_url
        return f"http://{self.upload_host}:{self.port}"

    def _upload(self, request: Request) -> Response:
        image = next((i for i in self.images.values()
                      if i.upload_key == request.params["key"]), None)
        if image is None:
            raise _refuse(404, "NOT_FOUND", "no such upload")
        kind = sniff_image(request.body)
        if kind not in IMAGE_TYPES:
            raise _refuse(400, "BAD_REQUEST", "the image must be JPG, GIF or PNG")
        width, height = Image.open(io.BytesIO(request.body)).size
        if width * height >= MAX_PIXELS:
            raise _refuse(400, "BAD_REQUEST", f"the image must have fewer than {MAX_PIXELS} "
                          "pixels")
        image.data, image.content_type = request.body, kind
        return Response(201, None)

    # ---- comments, roles, who am I ---------------------------------------------------------

    def _comment(self, request: Request) -> Response:
        member: Member = request.context["member"]
        raw = request.params["urn"]
        if ":" in raw:  # Rest.li 2.0 wants a URN in a path percent-encoded
            raise _refuse(400, "BAD_REQUEST", "a URN in the path must be URL-encoded")
        urn = unquote(raw)
        body = self._json(request)
        actor = str(body.get("actor") or "")
        self._may_act_as(member, actor, write=True, action="comments.CREATE")
        if self.post(urn) is None or body.get("object") != urn:
            raise _refuse(404, "NOT_FOUND", f"{urn} does not exist")
        text = str((body.get("message") or {}).get("text") or "")
        if not text:
            raise _refuse(422, "UNPROCESSABLE_ENTITY", "ERROR :: /message/text :: required")
        self.comments.append(LinkedInComment(urn, actor, text, self.clock.now()))
        comment_id = self._next()
        return Response(201, {"actor": actor, "object": urn, "message": {"text": text},
                              "id": str(comment_id)},
                        {"x-restli-id": f"urn:li:comment:({urn},{comment_id})"})

    def _acls(self, request: Request) -> Response:
        member: Member = request.context["member"]
        if request.arg("q") != "roleAssignee":
            raise _refuse(400, "BAD_REQUEST", "only the roleAssignee finder is served")
        if not member.scopes & {"rw_organization_admin", "r_organization_admin"}:
            raise _refuse(403, "ACCESS_DENIED", "Not enough permissions to access: "
                          "organizationAcls.FINDER-roleAssignee", 100)
        return Response(200, {"elements": [
            {"roleAssignee": member.urn, "state": "APPROVED", "role": role,
             "organization": organization}
            for organization, role in member.roles.items()], "paging": {"start": 0}})

    def _userinfo(self, request: Request) -> Response:
        member: Member = request.context["member"]
        if not {"openid", "profile"} <= member.scopes:
            raise _refuse(403, "ACCESS_DENIED", "Not enough permissions to access: "
                          "/userinfo", 100)
        given, _, family = member.name.partition(" ")
        return Response(200, {"sub": member.person_id, "name": member.name,
                              "given_name": given, "family_name": family,
                              "locale": {"country": "US", "language": "en"},
                              "email_verified": True})
