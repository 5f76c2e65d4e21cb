"""Emulator of Extensiv 3PL Warehouse Manager's REST API (secure-wms.com), read side.

What it implements, after PLATFORM_APIS.md §5 (the checklist of §5.8):

- `POST /AuthServer/api/Token`: `Authorization: Basic base64(client_id:client_secret)` and a JSON
  body `{"grant_type": "client_credentials", "user_login_id": "…"}` (or `"user_login": "…"`,
  optional `"tpl": "{GUID}"`). Answers `{"access_token", "token_type": "Bearer", "expires_in",
  "refresh_token": null, "scope": null}`. Bad credentials → 401.
- Every other endpoint needs `Authorization: Bearer <token>`; a missing, unknown or expired token
  → 401. Tokens expire after `token_ttl` seconds (default 3600), or at once with
  `app.expire_tokens()`.
- `GET /inventory/stocksummaries{?pgsiz,pgnum,rql,orderednotallocated}`: `pgsiz` 1..500 (more, 0 or
  not a number → 400), default 100; `pgnum` 1-based; `orderedNotAllocated` is null unless
  `orderednotallocated=true`. Scoped by the login: a login bound to a customer sees only that
  customer's items.
- `GET /customers` (`pgsiz` ≤ 100), `GET /customers/{id}`, `GET /customers/{id}/items`
  (`pgsiz` 1..100, default 10), `GET /properties/facilities` (`pgsiz` ≤ 100).
- HAL camelCase on `Accept: application/hal+json`; PascalCase with `ResourceList` /
  `TotalResults` on `application/json`. Unknown query parameters are silently ignored, as the real
  one does (so `pgsize=1000` is ignored, not an error).
- RQL subset: `==`, `!=`, `=in=(a,b)`, `=out=(…)`, `=gt=`, `=ge=`, `=lt=`, `=le=`; `;` (AND) binds
  tighter than `,` (OR); `*` wildcard in strings; dotted, case-insensitive property names.
- Errors: `{"ErrorCode": "…", "Hint": "…", "Properties": []}` (the real shape is undocumented).

Beyond the API (tests and the demo): a deterministic catalogue from a seed (`seed_catalog`),
`churn()` moving some stock, call counting and fault injection from `server.py`, and control
actions under `/_emulator/` (`expire-tokens`, `churn`, `set-stock`, `state`).

Standalone, with stock that changes every minute (the `make run` demo):

    python -m tests.emulators.extensiv_3pl --port 8021 --seed demo --churn-seconds 60
"""

from __future__ import annotations

import base64
import fnmatch
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.emulators.server import (
    EmulatorApp,
    Request,
    Response,
    json_response,
    run_standalone,
)

CUSTOMER_REL = "http://api.3plCentral.com/rels/customers/customer"
ITEM_REL = "http://api.3plCentral.com/rels/customers/item"
FACILITY_REL = "http://api.3plCentral.com/rels/properties/facility"

STOCK_SUMMARIES_MAX_PAGE_SIZE = 500
STOCK_SUMMARIES_DEFAULT_PAGE_SIZE = 100
ITEMS_MAX_PAGE_SIZE = 100
ITEMS_DEFAULT_PAGE_SIZE = 10
LIST_MAX_PAGE_SIZE = 100

DEMO_CLIENT_ID = "demo-3pl-client"
DEMO_CLIENT_SECRET = "demo-3pl-secret-2026"
DEMO_USER_LOGIN_ID = "1001"
DEMO_TPL = "{7d2a6c1e-3f7b-4b52-9a51-3c1b2d9e8f00}"


@dataclass
class Login:
    """A user login of the 3PL: who may ask for a token, and which customer it is bound to."""

    client_id: str
    client_secret: str
    user_login_id: str = ""
    user_login: str = ""
    tpl: str = ""
    customer_id: int | None = None  # None: a 3PL-level login, sees every customer


@dataclass
class Item:
    item_id: int
    customer_id: int
    sku: str
    upc: str = ""
    description: str = ""
    last_modified: str = "2026-01-05T10:00:00"


@dataclass
class Summary:
    """The stock of one item (with one qualifier) in one facility."""

    item_id: int
    facility_id: int
    qualifier: str = ""
    on_hand: float = 0.0
    allocated: float = 0.0
    on_hold: float = 0.0
    total_received: float = 0.0
    ordered_not_allocated: float = 0.0

    @property
    def available(self) -> float:
        return max(self.on_hand - self.allocated - self.on_hold, 0.0)


@dataclass
class _Token:
    login: Login
    expires_at: float


@dataclass
class Extensiv3plState:
    customers: dict[int, str] = field(default_factory=dict)
    facilities: dict[int, tuple[str, str, bool]] = field(default_factory=dict)  # name, code, off
    items: dict[int, Item] = field(default_factory=dict)
    summaries: dict[tuple[int, int, str], Summary] = field(default_factory=dict)


class Extensiv3plApp(EmulatorApp):
    name = "extensiv-3pl"

    def __init__(self, *, token_ttl: float = 3600.0, clock=time.monotonic) -> None:
        super().__init__()
        self.token_ttl = token_ttl
        self.clock = clock
        self.logins: list[Login] = []
        self.tokens: dict[str, _Token] = {}
        self.state = Extensiv3plState()
        self.churn_count = 0
        # (path, pgsiz, pgnum) of every paged read answered, for tests of the paging.
        self.page_requests: list[tuple[str, str | None, str | None]] = []

    # --- set-up ---------------------------------------------------------------------------------

    def add_login(self, login: Login) -> Login:
        with self.lock:
            self.logins.append(login)
        return login

    def add_customer(self, customer_id: int, name: str) -> None:
        with self.lock:
            self.state.customers[customer_id] = name

    def add_facility(
        self, facility_id: int, name: str, *, code: str = "", deactivated: bool = False
    ) -> None:
        with self.lock:
            self.state.facilities[facility_id] = (name, code or f"F{facility_id}", deactivated)

    def add_item(self, item: Item) -> Item:
        with self.lock:
            self.state.items[item.item_id] = item
        return item

    def set_stock(
        self,
        item_id: int,
        facility_id: int,
        *,
        on_hand: float,
        allocated: float = 0.0,
        on_hold: float = 0.0,
        qualifier: str = "",
        ordered_not_allocated: float = 0.0,
    ) -> Summary:
        with self.lock:
            summary = Summary(
                item_id=item_id,
                facility_id=facility_id,
                qualifier=qualifier,
                on_hand=float(on_hand),
                allocated=float(allocated),
                on_hold=float(on_hold),
                total_received=float(on_hand + allocated),
                ordered_not_allocated=float(ordered_not_allocated),
            )
            self.state.summaries[(item_id, facility_id, qualifier)] = summary
            return summary

    def seed_catalog(
        self,
        *,
        seed: str = "demo",
        customer_id: int = 5,
        items: int = 40,
        facilities: tuple[tuple[int, str], ...] = ((1, "East Coast DC"), (2, "West Coast DC")),
        sku_format: str = "SKU-{index:06d}",
    ) -> None:
        """A deterministic catalogue: one customer, its facilities, `items` items with UPCs,
        and stock in every facility. `sku_format` gets `number` (from 1) and `index` (from 0);
        the default spells the SKUs as the cart emulators' `--seed` does (`SKU-000000`, ...)."""
        rng = random.Random(seed)
        self.add_customer(customer_id, "Demo Outfitters")
        for facility_id, name in facilities:
            self.add_facility(facility_id, name)
        for number in range(1, items + 1):
            item = self.add_item(
                Item(
                    item_id=1000 + number,
                    customer_id=customer_id,
                    sku=sku_format.format(number=number, index=number - 1),
                    upc=f"0{700000000000 + number}",
                    description=f"Demo product {number}",
                )
            )
            for facility_id, _ in facilities:
                on_hand = rng.randint(0, 120)
                self.set_stock(
                    item.item_id,
                    facility_id,
                    on_hand=on_hand,
                    allocated=rng.randint(0, min(on_hand, 15)),
                )

    def churn(self, *, fraction: float = 0.25, rng: random.Random | None = None) -> int:
        """Move the stock of about `fraction` of the summaries, as orders and receipts would.
        Returns how many changed."""
        rng = rng or random.Random(f"churn-{self.churn_count}")
        changed = 0
        with self.lock:
            self.churn_count += 1
            for summary in self.state.summaries.values():
                if rng.random() >= fraction:
                    continue
                if rng.random() < 0.7:
                    sold = rng.randint(1, 5)
                    summary.on_hand = max(summary.on_hand - sold, 0.0)
                else:
                    summary.on_hand += rng.randint(5, 40)
                    summary.total_received += summary.on_hand
                summary.allocated = float(min(summary.allocated, summary.on_hand))
                changed += 1
        return changed

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = self.clock() - 1

    # --- classification and control ------------------------------------------------------------

    def _take_fault(self, request: Request, kind: str):
        # Here a fault's path regex is searched in "path?query", so that a test can fail one
        # page: Fault(path=r"stocksummaries\?.*pgnum=2\b", status=503).
        with_query = Request(
            method=request.method,
            path=f"{request.path}?{urlencode(request.query, doseq=True)}",
            query=request.query,
            headers=request.headers,
            body=request.body,
        )
        return super()._take_fault(with_query, kind)

    def classify(self, request: Request) -> str:
        return "auth" if request.path.lower() == "/authserver/api/token" else "read"

    def control(self, action: str, payload: Any) -> Response | None:
        if action == "expire-tokens":
            self.expire_tokens()
            return json_response({"ok": True})
        if action == "churn":
            return json_response({"changed": self.churn(**(payload or {}))})
        if action == "set-stock":
            summary = self.set_stock(**payload)
            return json_response({"available": summary.available})
        if action == "state":
            with self.lock:
                return json_response(
                    {
                        "items": len(self.state.items),
                        "summaries": len(self.state.summaries),
                        "tokens_issued": len(self.tokens),
                        "churns": self.churn_count,
                    }
                )
        return None

    # --- the API --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/").lower()
        if path == "/authserver/api/token":
            if request.method != "POST":
                return _error(405, "MethodNotAllowed", "POST the token request.")
            return self._token(request)
        if request.method != "GET":
            return _error(405, "MethodNotAllowed", "This emulator serves reads only.")
        login = self._authenticated(request)
        if isinstance(login, Response):
            return login
        hal = "application/hal+json" in request.header("accept")
        with self.lock:
            self.page_requests.append((path, request.arg("pgsiz"), request.arg("pgnum")))
        if path == "/inventory/stocksummaries":
            return self._stock_summaries(request, login, hal=hal)
        if path == "/properties/facilities":
            return self._facilities(request, hal=hal)
        if path == "/customers":
            return self._customers(request, login, hal=hal)
        match = re.fullmatch(r"/customers/(\d+)(/items)?", path)
        if match:
            customer_id = int(match.group(1))
            if login.customer_id is not None and login.customer_id != customer_id:
                return _error(403, "Forbidden", "This login cannot see that customer.")
            if customer_id not in self.state.customers:
                return _error(404, "NotFound", f"Customer {customer_id} does not exist.")
            if match.group(2):
                return self._items(request, customer_id, hal=hal)
            return _shaped(self._customer_body(customer_id), hal=hal)
        return _error(404, "NotFound", f"No resource at {request.path}.")

    def _token(self, request: Request) -> Response:
        authorization = request.header("authorization")
        client_id = client_secret = ""
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                pass
        try:
            body = request.json() or {}
        except ValueError:
            return _oauth_error(400, "invalid_request", "The body is not JSON.")
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Use client_credentials.")
        tpl = str(body.get("tpl") or "").strip("{}").lower()
        with self.lock:
            for login in self.logins:
                if login.client_id != client_id or login.client_secret != client_secret:
                    continue
                user_matches = (
                    login.user_login_id
                    and str(body.get("user_login_id", "")) == login.user_login_id
                ) or (login.user_login and str(body.get("user_login", "")) == login.user_login)
                tpl_matches = not tpl or tpl == login.tpl.strip("{}").lower()
                if user_matches and tpl_matches:
                    token = secrets.token_urlsafe(32)
                    self.tokens[token] = _Token(login, self.clock() + self.token_ttl)
                    return json_response(
                        {
                            "access_token": token,
                            "token_type": "Bearer",
                            "expires_in": int(self.token_ttl),
                            "refresh_token": None,
                            "scope": None,
                        }
                    )
        return _oauth_error(
            401, "invalid_client", "The client credentials or the user login are not valid."
        )

    def _authenticated(self, request: Request) -> Login | Response:
        authorization = request.header("authorization")
        if not authorization.lower().startswith("bearer "):
            return _error(401, "Unauthorized", "Send Authorization: Bearer <access token>.")
        with self.lock:
            token = self.tokens.get(authorization[7:].strip())
            if token is None:
                return _error(401, "InvalidToken", "The access token is not valid.")
            if token.expires_at <= self.clock():
                return _error(401, "TokenExpired", "The access token has expired.")
            return token.login

    def _stock_summaries(self, request: Request, login: Login, *, hal: bool) -> Response:
        paging = _paging(
            request,
            default=STOCK_SUMMARIES_DEFAULT_PAGE_SIZE,
            maximum=STOCK_SUMMARIES_MAX_PAGE_SIZE,
        )
        if isinstance(paging, Response):
            return paging
        page_size, page_number = paging
        with_ordered = (request.arg("orderednotallocated") or "").lower() == "true"
        with self.lock:
            rows = []
            for key in sorted(self.state.summaries):
                summary = self.state.summaries[key]
                item = self.state.items.get(summary.item_id)
                if item is None:
                    continue
                if login.customer_id is not None and item.customer_id != login.customer_id:
                    continue
                rows.append(_summary_body(summary, item, with_ordered=with_ordered))
        rows = _filtered(rows, request.arg("rql"))
        if isinstance(rows, Response):
            return rows
        page = rows[(page_number - 1) * page_size : page_number * page_size]
        body = {"totalResults": len(rows), "summaries": page}
        links = _links(request, total=len(rows), page_size=page_size, page_number=page_number)
        if links:
            body["_links"] = links
        return _shaped(body, hal=hal, collection="summaries")

    def _facilities(self, request: Request, *, hal: bool) -> Response:
        paging = _paging(request, default=LIST_MAX_PAGE_SIZE, maximum=LIST_MAX_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page_size, page_number = paging
        with self.lock:
            rows = [
                {
                    "facilityId": facility_id,
                    "id": facility_id,
                    "name": name,
                    "code": code,
                    "deactivated": deactivated,
                }
                for facility_id, (name, code, deactivated) in sorted(self.state.facilities.items())
            ]
        return _embedded_page(
            request, rows, rel=FACILITY_REL, page_size=page_size, page_number=page_number, hal=hal
        )

    def _customer_body(self, customer_id: int) -> dict:
        return {
            "readOnly": {"customerId": customer_id, "deactivated": False},
            "companyInfo": {"companyName": self.state.customers[customer_id]},
            "facilities": [{"id": facility_id} for facility_id in sorted(self.state.facilities)],
        }

    def _customers(self, request: Request, login: Login, *, hal: bool) -> Response:
        paging = _paging(request, default=LIST_MAX_PAGE_SIZE, maximum=LIST_MAX_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page_size, page_number = paging
        with self.lock:
            rows = [
                self._customer_body(customer_id)
                for customer_id in sorted(self.state.customers)
                if login.customer_id is None or login.customer_id == customer_id
            ]
        return _embedded_page(
            request, rows, rel=CUSTOMER_REL, page_size=page_size, page_number=page_number, hal=hal
        )

    def _items(self, request: Request, customer_id: int, *, hal: bool) -> Response:
        paging = _paging(request, default=ITEMS_DEFAULT_PAGE_SIZE, maximum=ITEMS_MAX_PAGE_SIZE)
        if isinstance(paging, Response):
            return paging
        page_size, page_number = paging
        with self.lock:
            rows = [
                {
                    "itemId": item.item_id,
                    "sku": item.sku,
                    "upc": item.upc,
                    "description": item.description,
                    "readOnly": {"lastModifiedDate": item.last_modified, "deactivated": False},
                }
                for item_id, item in sorted(self.state.items.items())
                if item.customer_id == customer_id
            ]
        rows = _filtered(rows, request.arg("rql"))
        if isinstance(rows, Response):
            return rows
        return _embedded_page(
            request, rows, rel=ITEM_REL, page_size=page_size, page_number=page_number, hal=hal
        )


# --- bodies ---------------------------------------------------------------------------------------


def _summary_body(summary: Summary, item: Item, *, with_ordered: bool) -> dict:
    return {
        "itemIdentifier": {"sku": item.sku, "id": item.item_id},
        "qualifier": summary.qualifier,
        "totalReceived": summary.total_received,
        "allocated": summary.allocated,
        "available": summary.available,
        "onHold": summary.on_hold,
        "onHand": summary.on_hand,
        "orderedNotAllocated": summary.ordered_not_allocated if with_ordered else None,
        "facilityId": summary.facility_id,
    }


def _error(status: int, code: str, hint: str) -> Response:
    return json_response({"ErrorCode": code, "Hint": hint, "Properties": []}, status)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _paging(request: Request, *, default: int, maximum: int) -> tuple[int, int] | Response:
    raw_size = request.arg("pgsiz")
    raw_number = request.arg("pgnum")
    try:
        page_size = int(raw_size) if raw_size is not None else default
        page_number = int(raw_number) if raw_number is not None else 1
    except ValueError:
        return _error(400, "InvalidParameter", "pgsiz and pgnum must be whole numbers.")
    if page_size < 1 or page_size > maximum:
        return _error(
            400,
            "InvalidParameter",
            f"pgsiz must be positive; limit {maximum}, specifying more is an error.",
        )
    if page_number < 1:
        return _error(400, "InvalidParameter", "pgnum is 1-based.")
    return page_size, page_number


def _links(request: Request, *, total: int, page_size: int, page_number: int) -> dict:
    links = {}
    base = request.path
    if page_number * page_size < total:
        links["next"] = {"href": f"{base}?pgsiz={page_size}&pgnum={page_number + 1}"}
    if page_number > 1:
        links["prev"] = {"href": f"{base}?pgsiz={page_size}&pgnum={page_number - 1}"}
    return links


def _embedded_page(
    request: Request, rows: list, *, rel: str, page_size: int, page_number: int, hal: bool
) -> Response:
    page = rows[(page_number - 1) * page_size : page_number * page_size]
    body: dict[str, Any] = {"totalResults": len(rows), "_embedded": {rel: page}}
    links = _links(request, total=len(rows), page_size=page_size, page_number=page_number)
    if links:
        body["_links"] = links
    return _shaped(body, hal=hal)


def _shaped(body: dict, *, hal: bool, collection: str = "") -> Response:
    """HAL camelCase as is; plain JSON in PascalCase, collections as `ResourceList`."""
    if hal:
        return Response(body=body, content_type="application/hal+json; charset=utf-8")
    pascal = _pascal(body)
    embedded = pascal.pop("_embedded", None)
    if embedded:
        pascal["ResourceList"] = next(iter(embedded.values()))
    pascal.pop("_links", None)
    return json_response(pascal)


def _pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            (key if key.startswith("_") or "://" in key else key[:1].upper() + key[1:]): _pascal(
                entry
            )
            for key, entry in value.items()
        }
    if isinstance(value, list):
        return [_pascal(entry) for entry in value]
    return value


# --- RQL (a subset) -----------------------------------------------------------------------------

_COMPARISON = re.compile(r"^([A-Za-z_][\w.]*)(==|!=|=in=|=out=|=gt=|=ge=|=lt=|=le=)(.+)$")


def _filtered(rows: list[dict], rql: str | None) -> list[dict] | Response:
    if not rql:
        return rows
    try:
        disjunction = [
            [_comparison(term) for term in _split(conjunction, ";")]
            for conjunction in _split(rql, ",")
        ]
        return [
            row
            for row in rows
            if any(all(test(row) for test in conjunction) for conjunction in disjunction)
        ]
    except ValueError as error:
        return _error(400, "InvalidRql", str(error))


def _split(text: str, separator: str) -> list[str]:
    """Split at `separator` outside parentheses (`a==1,b=in=(2,3)` is two terms)."""
    parts, depth, current = [], 0, []
    for character in text:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        if character == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _comparison(term: str):
    term = term.strip()
    while term.startswith("(") and term.endswith(")") and term.count("(") == 1:
        term = term[1:-1].strip()
    match = _COMPARISON.match(term)
    if not match:
        raise ValueError(f"Cannot parse the RQL term {term!r}.")
    path, operator, raw = match.groups()
    values = [value.strip() for value in raw.strip().strip("()").split(",")]

    def test(row: dict) -> bool:
        actual = _resolve(row, path)
        if operator == "==":
            return _equal(actual, raw)
        if operator == "!=":
            return not _equal(actual, raw)
        if operator in ("=in=", "=out="):
            found = any(_equal(actual, value) for value in values)
            return found if operator == "=in=" else not found
        try:
            left, right = float(actual), float(raw)
        except (TypeError, ValueError):
            left, right = str(actual), raw
        return {
            "=gt=": left > right,
            "=ge=": left >= right,
            "=lt=": left < right,
            "=le=": left <= right,
        }[operator]

    return test


def _resolve(row: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(row, dict):
            return None
        lowered = {key.lower(): value for key, value in row.items()}
        if part.lower() not in lowered:
            raise ValueError(f"Unknown property {path!r} in the RQL filter.")
        row = lowered[part.lower()]
    return row


def _equal(actual: Any, expected: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == expected.lower()
    if isinstance(actual, int | float):
        try:
            return float(actual) == float(expected)
        except ValueError:
            return False
    text = "" if actual is None else str(actual)
    if "*" in expected:
        return fnmatch.fnmatchcase(text.lower(), expected.lower())
    return text.lower() == expected.lower()


# --- standalone ---------------------------------------------------------------------------------


def demo_app(*, seed: str = "demo", items: int = 40, token_ttl: float = 3600.0) -> Extensiv3plApp:
    """The emulator as the `make run` demo uses it: the demo login and a seeded catalogue."""
    app = Extensiv3plApp(token_ttl=token_ttl)
    app.add_login(
        Login(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            user_login_id=DEMO_USER_LOGIN_ID,
            tpl=DEMO_TPL,
            customer_id=None,
        )
    )
    app.seed_catalog(seed=seed, items=items)
    return app


def _churn_forever(app: Extensiv3plApp, seconds: float) -> None:
    while True:
        time.sleep(seconds)
        changed = app.churn()
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        print(f"{stamp} extensiv-3pl emulator: {changed} stock summaries changed", flush=True)


def main(argv: list[str] | None = None) -> None:
    def add_arguments(parser) -> None:
        parser.add_argument("--seed", default="demo", help="seed of the generated catalogue")
        parser.add_argument("--items", type=int, default=40, help="items in the catalogue")
        parser.add_argument(
            "--churn-seconds",
            type=float,
            default=0.0,
            help="move some stock every this many seconds (0: never)",
        )
        parser.add_argument("--token-ttl", type=float, default=3600.0)

    def make_app(options) -> Extensiv3plApp:
        app = demo_app(seed=options.seed, items=options.items, token_ttl=options.token_ttl)
        if options.churn_seconds > 0:
            threading.Thread(
                target=_churn_forever, args=(app, options.churn_seconds), daemon=True
            ).start()
        return app

    run_standalone(
        make_app,
        description="Emulator of Extensiv 3PL Warehouse Manager (stock summaries, items, "
        "facilities, OAuth client credentials).",
        add_arguments=add_arguments,
        argv=argv,
    )


if __name__ == "__main__":
    main()
