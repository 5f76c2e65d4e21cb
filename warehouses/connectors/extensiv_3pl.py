"""Extensiv 3PL Warehouse Manager (secure-wms.com, formerly 3PL Central): the stock of one
customer of a 3PL, read from its REST API (PLATFORM_APIS.md §5).

Authentication — OAuth client credentials. `POST /AuthServer/api/Token` with
`Authorization: Basic base64(client_id:client_secret)` and the JSON body
`{"grant_type": "client_credentials", "user_login_id": …}` (or `"user_login"` when only the login
name is given; `"tpl": "{GUID}"` when the TPL key is given, wrapped in braces as the clients do).
The bearer token is cached per process and per credential until `expires_in` minus a margin
(`TOKEN_EXPIRY_MARGIN_SECONDS`, at most half the lifetime), so a download of many pages, and the
next downloads, ask for one token. A 401 on a data call drops the cached token and retries the
call once with a fresh one; a second 401 is a `ConfigurationError`.

Reading:

- Facilities (`GET /properties/facilities`) become warehouses: code = the facility id, name =
  the facility's name. Deactivated facilities are left out [INFER].
- Stock (`GET /inventory/stocksummaries`) is read page by page at the documented maximum page
  size (`pgsiz=500`; "specifying more is an error"), one page in memory at a time, to the last
  page (by `totalResults`, and a short or empty page ends it too). `onHand`, `available`,
  `allocated` and `onHold` map to the record's quantities; `facilityId` to the warehouse code;
  `itemIdentifier.sku` to the SKU. Parameter `facility_id` filters with `rql=facilityId==<id>`.
- Customer (parameter `customer_id`, recommended): the summaries carry no customer id and a
  3PL-level login sees every customer's items, whose SKUs may repeat [INFER]. With a customer id,
  the customer's items (`GET /customers/{id}/items`, at most 100 a page) are read first into an
  index item id → (UPC, description) — that index, not the stock, is held in memory (some tens of
  bytes per item) — and only summaries of those items are kept, with the UPC as the `UPC` alias
  and the description as the product's name. Without one, every summary the login sees is read,
  without aliases or names.

Assumptions where the documentation is silent ([OPEN]/[INFER], coded defensively):

- Quantities are decimals: they are rounded down to whole units (half a unit cannot be sold).
  A negative `available` is read as 0; other negative figures are passed on, and the download
  refuses them with the SKU named.
- Summaries with a non-empty `qualifier` (stock kept apart under a qualifier, such as damaged
  goods) are not sellable under the plain SKU and are skipped; only the unqualified figure
  counts.
- With parameter `subtract_ordered_not_allocated` = yes, `orderednotallocated=true` is asked and
  `orderedNotAllocated` is taken off `available` (PLATFORM_APIS.md §5.3, optional).
- Responses are read as HAL (`Accept: application/hal+json`, camelCase); PascalCase names
  (`Summaries`, `TotalResults`, `ResourceList`) are accepted too, since property names are
  case-insensitive.
- The error body is undocumented: the platform's own text (`Hint`, `ErrorCode`, `Message`,
  `error_description`) is shown as is.
- Offset paging of data that changes while it is read can skip or repeat a row; a repeated
  (facility, SKU) makes the download refuse the run, and the next run reads it afresh.
- No rate limit is published; 429 and 5xx are retried with backoff by the HTTP client, honouring
  `Retry-After`, and the task layer retries what is left.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from integration_manager.connector_errors import (
    ConfigurationError,
    ConnectorError,
    PermanentError,
)
from integration_manager.http import HttpClient, client_options, response_json
from warehouses.connectors.base import (
    ParameterField,
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
)

DEFAULT_BASE_URL = "https://secure-wms.com"
TOKEN_PATH = "/AuthServer/api/Token"  # noqa: S105 - a path, not a password
STOCK_SUMMARIES_PAGE_SIZE = 500  # the documented maximum ("specifying more is an error")
ITEMS_PAGE_SIZE = 100  # the documented maximum of customer items
LIST_PAGE_SIZE = 100
TOKEN_EXPIRY_MARGIN_SECONDS = 120.0
HAL = "application/hal+json"
PLATFORM = "Extensiv 3PL"

FACILITY_REL = "http://api.3plCentral.com/rels/properties/facility"
ITEM_REL = "http://api.3plCentral.com/rels/customers/item"

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class _CachedToken:
    value: str
    refresh_at: float  # time.monotonic()


_TOKENS: dict[str, _CachedToken] = {}
_TOKENS_LOCK = threading.Lock()


def extensiv_token_cache_clear() -> None:
    """Forget every cached access token (tests; a credential change needs nothing: the cache is
    keyed by the credential)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


class Extensiv3plConnector(WarehouseConnector):
    key = "extensiv_3pl"
    label = "Extensiv 3PL Warehouse Manager"
    parameter_fields = (
        ParameterField(
            "base_url",
            "API URL",
            f"Leave empty for {DEFAULT_BASE_URL}.",
            is_required=False,
        ),
        ParameterField(
            "user_login_id",
            "User login id",
            "The numeric id of the API user (or give the login name below).",
            is_required=False,
        ),
        ParameterField(
            "user_login",
            "User login name",
            "The API user's login name, when its numeric id is not known.",
            is_required=False,
        ),
        ParameterField("tpl", "TPL key", "The 3PL's GUID, when Extensiv gave one.", False),
        ParameterField(
            "customer_id",
            "Customer id",
            "The merchant's customer id in the 3PL: keeps its items only and reads their UPCs "
            "and names.",
            is_required=False,
        ),
        ParameterField("facility_id", "Facility id", "Read one facility only (empty: all).", False),
        ParameterField(
            "subtract_ordered_not_allocated",
            "Subtract ordered, not allocated",
            "yes: available minus the quantity on orders not allocated yet.",
            is_required=False,
        ),
    )
    secret_fields = (
        ParameterField("client_id", "Client id", "From Extensiv's REST API access."),
        ParameterField("client_secret", "Client secret", "From Extensiv's REST API access."),
    )

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        parameter = self._parameter
        self.base_url = (parameter("base_url") or DEFAULT_BASE_URL).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"{PLATFORM}: the API URL must start with https://.")
        self.user_login_id = parameter("user_login_id")
        self.user_login = parameter("user_login")
        tpl = parameter("tpl")
        self.tpl = f"{{{tpl.strip('{}')}}}" if tpl else ""
        self.customer_id = self._whole_parameter("customer_id")
        self.facility_id = self._whole_parameter("facility_id")
        self.subtract_ordered = parameter("subtract_ordered_not_allocated").lower() in _TRUE
        self.client_id = self._secrets.get("client_id", "")
        self.client_secret = self._secrets.get("client_secret", "")
        if not self.client_id or not self.client_secret:
            raise ConfigurationError(f"{PLATFORM}: the client id and client secret are required.")
        if not self.user_login_id and not self.user_login:
            raise ConfigurationError(
                f"{PLATFORM}: give the API user's login id (or its login name)."
            )
        self.http = HttpClient(
            base_url=self.base_url,
            platform=PLATFORM,
            headers={"Accept": HAL},
            secrets=[self.client_id, self.client_secret],
            session=session,
            **client_options(self.parameters),
        )
        # The cache key names the credential by a digest: the cache never holds a secret.
        self._token_key = hashlib.sha256(
            json.dumps(
                [
                    self.base_url,
                    self.client_id,
                    self.client_secret,
                    self.user_login_id,
                    self.user_login,
                    self.tpl,
                ]
            ).encode()
        ).hexdigest()

    def _parameter(self, name: str) -> str:
        return str(self.parameters.get(name) or "").strip()

    def _whole_parameter(self, name: str) -> int | None:
        value = self._parameter(name)
        if not value:
            return None
        if not value.isdigit():
            raise ConfigurationError(f"{PLATFORM}: the {name.replace('_', ' ')} must be a number.")
        return int(value)

    # --- the contract ------------------------------------------------------------------------

    def warehouses(self) -> Iterator[WarehouseInfo]:
        for facility in self._pages(
            "/properties/facilities", {}, page_size=LIST_PAGE_SIZE, collection=FACILITY_REL
        ):
            facility_id = _get(facility, "facilityId", "id")
            if facility_id is None or _get(facility, "deactivated"):
                continue
            if self.facility_id is not None and int(facility_id) != self.facility_id:
                continue
            yield WarehouseInfo(code=str(facility_id), name=str(_get(facility, "name") or ""))

    def stock(self) -> Iterator[StockRecord]:
        items = self._customer_items() if self.customer_id is not None else None
        params: dict[str, Any] = {}
        if self.facility_id is not None:
            params["rql"] = f"facilityId=={self.facility_id}"
        if self.subtract_ordered:
            params["orderednotallocated"] = "true"
        for summary in self._pages(
            "/inventory/stocksummaries",
            params,
            page_size=STOCK_SUMMARIES_PAGE_SIZE,
            collection="summaries",
        ):
            record = self._record(summary, items)
            if record is not None:
                yield record

    def check(self) -> str:
        facilities = list(self.warehouses())
        body = self._json("/inventory/stocksummaries", {"pgsiz": 1, "pgnum": 1})
        total = _get(body, "totalResults")
        what = f"{total:,} stock summaries" if isinstance(total, int) else "stock summaries"
        reached = f"Connected to {PLATFORM} at {self.base_url}: {what} in "
        reached += f"{len(facilities)} facilities"
        if self.customer_id is not None:
            customer = self._json(f"/customers/{self.customer_id}", {})
            name = _get(_get(customer, "companyInfo") or {}, "companyName")
            reached += f", customer {self.customer_id} ({name or 'unnamed'})"
        return reached + "."

    # --- records -----------------------------------------------------------------------------

    def _record(
        self, summary: Mapping[str, Any], items: dict[int, tuple[str, str]] | None
    ) -> StockRecord | None:
        if str(_get(summary, "qualifier") or "").strip():
            return None
        identifier = _get(summary, "itemIdentifier") or {}
        item_id = _get(identifier, "id")
        aliases: tuple[tuple[str, str], ...] = ()
        name = ""
        if items is not None:
            if item_id not in items:
                return None  # another customer's item
            upc, name = items[item_id]
            aliases = (("UPC", upc),) if upc else ()
        facility_id = _get(summary, "facilityId")
        available = _whole(_get(summary, "available"))
        if available is not None:
            if self.subtract_ordered:
                available -= _whole(_get(summary, "orderedNotAllocated")) or 0
            available = max(available, 0)
        return StockRecord(
            warehouse_code="" if facility_id is None else str(facility_id),
            sku=str(_get(identifier, "sku") or ""),
            quantity_on_hand=_whole(_get(summary, "onHand")) or 0,
            quantity_available=available,
            quantity_allocated=_whole(_get(summary, "allocated")),
            quantity_on_hold=_whole(_get(summary, "onHold")),
            aliases=aliases,
            name=name,
        )

    def _customer_items(self) -> dict[int, tuple[str, str]]:
        items: dict[int, tuple[str, str]] = {}
        for item in self._pages(
            f"/customers/{self.customer_id}/items",
            {},
            page_size=ITEMS_PAGE_SIZE,
            collection=ITEM_REL,
        ):
            item_id = _get(item, "itemId", "id")
            if item_id is None:
                item_id = _get(_get(item, "readOnly") or {}, "itemId")
            if item_id is not None:
                items[item_id] = (
                    str(_get(item, "upc") or "").strip(),
                    str(_get(item, "description") or ""),
                )
        return items

    # --- paging, tokens, calls ---------------------------------------------------------------

    def _pages(
        self, path: str, params: Mapping[str, Any], *, page_size: int, collection: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every row of a paged collection, one page in memory at a time."""
        page_number = 1
        last_page: int | None = None
        first_row_before = None
        while True:
            body = self._json(path, {**params, "pgsiz": page_size, "pgnum": page_number})
            rows = _collection(body, collection)
            total = _get(body, "totalResults")
            if isinstance(total, int) and total >= 0:
                last_page = max(1, math.ceil(total / page_size))
            if rows and page_number > 1 and rows[0] == first_row_before:
                # Without this, a platform ignoring pgnum would be read forever.
                raise PermanentError(
                    f"{PLATFORM} GET {path} returned page 1 again as page {page_number}."
                )
            first_row_before = rows[0] if rows else None
            yield from rows
            if len(rows) < page_size or (last_page is not None and page_number >= last_page):
                return
            page_number += 1

    def _json(self, path: str, params: Mapping[str, Any]) -> Any:
        body = response_json(self._get_authorized(path, params))
        if not isinstance(body, dict):
            raise PermanentError(f"{PLATFORM} GET {path}: expected a JSON object.")
        return body

    def _get_authorized(self, path: str, params: Mapping[str, Any]) -> requests.Response:
        for attempt in (1, 2):
            token = self._token()
            try:
                return self.http.get(
                    path, params=dict(params), headers={"Authorization": f"Bearer {token}"}
                )
            except ConfigurationError as error:
                if getattr(error, "status_code", None) == 401 and attempt == 1:
                    self._token_forget(token)  # expired or revoked early: one fresh token
                    continue
                raise ConfigurationError(
                    f"{PLATFORM} refused the request GET {path}"
                    f" (HTTP {getattr(error, 'status_code', '?')}): "
                    f"{_platform_text(error)} Check the user login's permissions and the "
                    "customer id.",
                    platform_message=error.platform_message,
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _token(self) -> str:
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self._token_key)
        if cached is not None and cached.refresh_at > time.monotonic():
            return cached.value
        value, lifetime = self._token_request()
        margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 2)
        with _TOKENS_LOCK:
            _TOKENS[self._token_key] = _CachedToken(value, time.monotonic() + lifetime - margin)
        return value

    def _token_forget(self, value: str) -> None:
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self._token_key)
            if cached is not None and cached.value == value:
                del _TOKENS[self._token_key]

    def _token_request(self) -> tuple[str, float]:
        body: dict[str, str] = {"grant_type": "client_credentials"}
        if self.user_login_id:
            body["user_login_id"] = self.user_login_id
        else:
            body["user_login"] = self.user_login
        if self.tpl:
            body["tpl"] = self.tpl
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        try:
            response = self.http.post(
                TOKEN_PATH,
                json=body,
                headers={
                    "Authorization": f"Basic {basic}",
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
                idempotent=True,  # asking for a token twice is harmless
            )
        except (ConfigurationError, PermanentError) as error:
            raise ConfigurationError(
                f"{PLATFORM} rejected the credentials (HTTP "
                f"{getattr(error, 'status_code', '?')}): {_platform_text(error)} Check the "
                "client id, the client secret, the user login and the TPL key.",
                platform_message=error.platform_message,
            ) from None
        token = response_json(response)
        value = token.get("access_token") if isinstance(token, dict) else None
        if not isinstance(value, str) or not value:
            raise PermanentError(f"{PLATFORM}: the token response has no access_token.")
        expires_in = token.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        return value, max(lifetime, 1.0)


# --- reading HAL / PascalCase bodies ------------------------------------------------------------


def _get(body: Any, *names: str) -> Any:
    """The first of `names` present in `body`, matched without regard to case."""
    if not isinstance(body, Mapping):
        return None
    for name in names:
        if name in body:
            return body[name]
    lowered = {str(key).lower(): value for key, value in body.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _collection(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """The rows of a page: a named array (`summaries`), `_embedded[<rel>]`, `_embedded.item`, or
    the PascalCase `ResourceList`."""
    rows = _get(body, name) if "://" not in name else None
    if rows is None:
        embedded = _get(body, "_embedded")
        if isinstance(embedded, Mapping):
            rows = _get(embedded, name, "item")
            if rows is None and len(embedded) == 1:
                rows = next(iter(embedded.values()))
    if rows is None:
        rows = _get(body, "ResourceList")
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
        raise PermanentError(f"{PLATFORM}: a page of {name.rsplit('/', 1)[-1]} is not a list.")
    return rows


def _whole(value: Any) -> int | None:
    """A decimal quantity as whole units, rounded down; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PermanentError(f"{PLATFORM} reported the quantity {value!r}, not a number.")
    if not math.isfinite(value):
        raise PermanentError(f"{PLATFORM} reported the quantity {value!r}.")
    return math.floor(value)


def _platform_text(error: ConnectorError) -> str:
    """The platform's own words, from the undocumented error body (raw text when unparsed)."""
    raw = error.platform_message or ""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:300]
    if isinstance(body, dict):
        parts = [
            str(body[name])
            for name in ("ErrorCode", "Hint", "Message", "error", "error_description")
            if body.get(name)
        ]
        if parts:
            return ": ".join(parts)
    return raw[:300]
