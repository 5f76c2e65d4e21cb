"""The CSV feed connector: the documented columns, every kind of bad line reported with its line
number and nothing applied, and the feed fetched from a URL over real HTTP (loopback)."""

import pytest

from integration_manager.connector_errors import ConfigurationError, PermanentError
from merchants.models import InventorySyncMode, Merchant
from sync.models import Alert, RunState, RunTrigger, SyncRun
from sync.services.download import inventory_download
from tests.emulators.server import (
    EmulatorApp,
    EmulatorServer,
    Fault,
    Request,
    Response,
    json_response,
)
from tests.factories import InventoryLevelFactory, MerchantFactory, ProductFactory
from warehouses.connectors import warehouse_connector_for
from warehouses.connectors.csv_feed import (
    CsvFeedConnector,
    CsvFeedError,
    csv_stock_records,
    csv_upload_connector,
    csv_upload_save,
)
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

HEADER = "warehouse,sku,on_hand,available,allocated,on_hold,updated_at,name,alias:UPC\n"


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.CSV_UPLOAD_ROOT = tmp_path / "uploads"
    return settings.CSV_UPLOAD_ROOT


@pytest.fixture
def merchant(db) -> Merchant:
    return MerchantFactory(connector_key="csv_feed", inventory_sync_mode=InventorySyncMode.OFF)


def _download_file(merchant: Merchant, text: str | bytes) -> SyncRun:
    data = text.encode() if isinstance(text, str) else text
    name = csv_upload_save(merchant_id=merchant.pk, chunks=[data])
    run = inventory_download(
        merchant=merchant,
        trigger=RunTrigger.MANUAL,
        connector=csv_upload_connector(merchant_id=merchant.pk, file_name=name),
    )
    merchant.refresh_from_db()
    return run


def _levels(merchant) -> dict[tuple[str, str], tuple]:
    return {
        (level.warehouse.external_code, level.product.sku): (
            level.quantity_on_hand,
            level.quantity_available,
            level.quantity_allocated,
            level.quantity_on_hold,
        )
        for level in InventoryLevel.objects.filter(product__merchant=merchant).select_related(
            "warehouse", "product"
        )
    }


def _errors(text: str) -> list[str]:
    """The line errors the parser reports for a whole file (it must raise)."""
    with pytest.raises(CsvFeedError) as raised:
        list(csv_stock_records([text.encode()]))
    return [str(error) for error in raised.value.errors]


# --- a good file -------------------------------------------------------------------------------


def test_a_valid_file_is_applied_with_warehouses_aliases_and_names_kept_exactly(merchant):
    run = _download_file(
        merchant,
        "\ufeff"  # a byte-order mark, as spreadsheet programs write
        "Warehouse , SKU,On_Hand,available,allocated,on_hold,updated_at,name,alias:UPC,"
        "alias:Amazon Seller SKU\r\n"
        'EAST,MUG-1,10,8,2,0,2026-01-05T10:00:00Z,"Mug, blue ""large""",012345678905,'
        "AMZ-MUG\r\n"
        ",CAP-2,5,,1,1,,כובע  אדום ‫RTL‬,,\r\n"
        "\r\n"
        'WEST,MUG-1,3,,,,2026-01-05 12:00:00+02:00,"Mug, blue ""large""",012345678905,\r\n',
    )

    assert run.state == RunState.SUCCEEDED, run.message
    assert run.records_read == 3
    assert _levels(merchant) == {
        ("EAST", "MUG-1"): (10, 8, 2, 0),
        ("", "CAP-2"): (5, 3, 1, 1),  # available = on hand - allocated - on hold
        ("WEST", "MUG-1"): (3, 3, None, None),
    }
    assert dict(Product.objects.filter(merchant=merchant).values_list("sku", "name")) == {
        "MUG-1": 'Mug, blue "large"',
        "CAP-2": "כובע  אדום ‫RTL‬",  # right-to-left text and its marks, unchanged
    }
    assert sorted(Alias.objects.filter(merchant=merchant).values_list("name", "value")) == [
        ("Amazon Seller SKU", "AMZ-MUG"),
        ("UPC", "012345678905"),
    ]
    assert set(
        Warehouse.objects.filter(merchant=merchant).values_list("external_code", flat=True)
    ) == {"", "EAST", "WEST"}


def test_only_sku_and_on_hand_are_required(merchant):
    run = _download_file(merchant, "sku,on_hand\nA,1\nB,0\n")

    assert run.state == RunState.SUCCEEDED
    assert _levels(merchant) == {("", "A"): (1, 1, None, None), ("", "B"): (0, 0, None, None)}


# --- bad lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("EAST,A,-3,,,,,,", "on_hand -3 is negative."),
        ("EAST,A,1.5,,,,,,", "on_hand '1.5' is not a whole number."),
        ("EAST,A,10,,1e3,,,,", "allocated '1e3' is not a whole number."),
        ("EAST,A,ten,,,,,,", "on_hand 'ten' is not a number."),
        ("EAST,A,2147483648,,,,,,", "on_hand 2147483648 is too large (at most 1,000,000,000)."),
        ("EAST,A,5,1000000001,,,,,", "available 1000000001 is too large (at most 1,000,000,000)."),
        ("EAST,A,,,,,,,", "on_hand is empty."),
        ("EAST,,5,,,,,,", "the SKU is empty."),
        ("EAST,   ,5,,,,,,", "the SKU is empty."),
        ("EAST,A\x07B,5,,,,,,", "the SKU 'A\\x07B' contains the control character U+0007."),
        ("EAST,A,5,,,,2026-01-05 10:00,,", "updated_at '2026-01-05 10:00' has no time zone"),
        ("EAST,A,5,,,,yesterday,,", "updated_at 'yesterday' is not an ISO 8601 date and time."),
        ("EAST,A,5,,,,,,,", "has 10 cells; the header has 9."),
        ("EAST,A,5", "has 3 cells; the header has 9."),
        (f"EAST,{'S' * 256},5,,,,,,", "the SKU is longer than 255 characters."),
        ("EAST,A,5,,,,,bad\x00name,", "the name contains a NUL character."),
    ],
)
def test_each_kind_of_bad_line_is_reported_with_its_line_number(line, error):
    errors = _errors(HEADER + "EAST,OK,1,,,,,,\n" + line + "\n")

    assert len(errors) == 1
    assert errors[0].startswith(f"Line 3: {error}")


def test_every_problem_of_a_line_is_listed_in_column_order():
    assert _errors(HEADER + "EAST,,-1,x,2.5,99999999999,noon,,\n") == [
        "Line 2: the SKU is empty.",
        "Line 2: on_hand -1 is negative.",
        "Line 2: available 'x' is not a number.",
        "Line 2: allocated '2.5' is not a whole number.",
        "Line 2: on_hold 99999999999 is too large (at most 1,000,000,000).",
        "Line 2: updated_at 'noon' is not an ISO 8601 date and time.",
    ]


def test_a_repeated_warehouse_and_sku_names_both_lines():
    text = HEADER + "EAST,A,1,,,,,,\nWEST,A,1,,,,,,\n,A,1,,,,,,\n EAST , A ,2,,,,,,\n,A,3,,,,,,\n"

    assert _errors(text) == [
        "Line 5: SKU A in warehouse 'EAST' is already on line 2.",
        "Line 6: SKU A in warehouse 'Default' is already on line 4.",
    ]


def test_invalid_utf8_is_a_line_error():
    data = (HEADER + "EAST,A,1,,,,,,\n").encode() + b"EAST,B,1,,,,,caf\xe9,\n"

    with pytest.raises(CsvFeedError) as raised:
        list(csv_stock_records([data]))

    assert [str(error) for error in raised.value.errors] == [
        "Line 3: is not valid UTF-8 (byte 17 of the line)."
    ]


def test_a_bad_file_applies_nothing_and_lists_its_errors_in_the_run_and_an_alert(merchant):
    product = ProductFactory(merchant=merchant, sku="KEEP")
    default = merchant.warehouses.get(is_default=True)
    InventoryLevelFactory(
        product=product, warehouse=default, quantity_on_hand=7, quantity_available=7
    )
    before = _levels(merchant)

    run = _download_file(
        merchant,
        HEADER
        + ",KEEP,100,,,,,,\n"
        + "EAST,NEW-1,5,,,,,,\n"
        + "EAST,NEW-2,-5,,,,,,\n"
        + "EAST,NEW-1,6,,,,,,\n",
    )

    assert run.state == RunState.FAILED
    assert run.message == (
        "The uploaded file has 2 errors; nothing was applied.\n"
        "Line 4: on_hand -5 is negative.\n"
        "Line 5: SKU NEW-1 in warehouse 'EAST' is already on line 3."
    ).replace("The uploaded file", f"The uploaded file {_latest_upload(merchant)}")
    assert run.records_changed == 0
    assert _levels(merchant) == before
    assert list(Product.objects.filter(merchant=merchant).values_list("sku", flat=True)) == ["KEEP"]
    assert not Warehouse.objects.filter(merchant=merchant, external_code="EAST").exists()
    alert = Alert.objects.get(merchant=merchant)
    assert alert.key == "download"
    assert "Line 4: on_hand -5 is negative." in alert.message


def _latest_upload(merchant) -> str:
    from warehouses.connectors.csv_feed import csv_upload_root

    return sorted((csv_upload_root() / str(merchant.pk)).glob("*.csv"))[-1].name


def test_many_bad_lines_list_the_first_fifty_and_count_the_rest():
    text = HEADER + "".join(f"EAST,S{number},-1,,,,,,\n" for number in range(1, 201))

    with pytest.raises(CsvFeedError) as raised:
        list(csv_stock_records([text.encode()]))

    message = raised.value.message.splitlines()
    assert raised.value.error_count == 200
    assert message[0] == "The CSV file has 200 errors; nothing was applied."
    assert message[1] == "Line 2: on_hand -1 is negative."
    assert message[50] == "Line 51: on_hand -1 is negative."
    assert message[51] == "… and 150 more."
    assert len(message) == 52
    assert len(raised.value.message) < 5000


def test_records_after_the_first_bad_line_are_not_passed_on():
    text = HEADER + "EAST,A,1,,,,,,\nEAST,B,-1,,,,,,\nEAST,C,1,,,,,,\n"
    seen = []

    with pytest.raises(CsvFeedError):
        for record in csv_stock_records([text.encode()]):
            seen.append(record.sku)

    assert seen == ["A"]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            "sku,onhand\n",
            "the column 'onhand' is unknown; the required column 'on_hand' is missing",
        ),
        ("warehouse,on_hand\n", "the required column 'sku' is missing"),
        ("sku,on_hand,SKU\n", "the column 'SKU' appears twice"),
        (
            "sku,on_hand,alias:\n",
            "the alias column 'alias:' needs a name of 1 to 100 characters after 'alias:'",
        ),
        ("sku,on_hand,\n", "column 3 has no name"),
    ],
)
def test_a_bad_header_stops_at_once_naming_the_problem(header, problem):
    with pytest.raises(PermanentError) as raised:
        list(csv_stock_records([(header + "A,1\n").encode()]))

    assert raised.value.message.startswith(f"Line 1 (the header): {problem}.")
    assert "The columns are: sku, on_hand, warehouse, available" in raised.value.message


def test_an_empty_file_is_refused():
    with pytest.raises(PermanentError, match="The CSV file is empty"):
        list(csv_stock_records([b""]))


def test_chunks_split_anywhere_parse_the_same():
    text = (HEADER + 'EAST,A,1,,,,,"Ünïcödé, ""quoted""\nwith a line break",\n').encode()
    chunked = [text[index : index + 3] for index in range(0, len(text), 3)]

    assert list(csv_stock_records(chunked)) == list(csv_stock_records([text]))
    assert next(iter(csv_stock_records(chunked))).name == 'Ünïcödé, "quoted"\nwith a line break'


def test_a_path_outside_the_upload_folder_is_refused(tmp_path):
    outside = tmp_path / "secrets.csv"
    outside.write_text("sku,on_hand\nA,1\n")
    connector = CsvFeedConnector(parameters={"path": str(outside)})

    with pytest.raises(ConfigurationError, match="must be one uploaded on the merchant's page"):
        list(connector.stock())


def test_without_a_url_the_feed_says_how_to_configure_it(merchant):
    with pytest.raises(ConfigurationError, match="The CSV feed has no URL"):
        warehouse_connector_for(merchant).check()


def test_uploads_beyond_the_last_ten_are_deleted(merchant, upload_root):
    names = [csv_upload_save(merchant_id=merchant.pk, chunks=[b"sku,on_hand\n"]) for _ in range(12)]

    kept = sorted(path.name for path in (upload_root / str(merchant.pk)).iterdir())
    assert len(kept) == 10
    assert set(kept) <= set(names)


# --- from a URL --------------------------------------------------------------------------------


class CsvHost(EmulatorApp):
    """A web server holding a CSV file, behind a bearer token."""

    name = "csv-host"

    def __init__(self, text: str, *, token: str = "") -> None:
        super().__init__()
        self.text = text
        self.token = token

    def handle(self, request: Request) -> Response:
        if self.token and request.header("authorization") != f"Bearer {self.token}":
            return json_response({"message": "Bad token."}, 401)
        if request.path != "/stock.csv":
            return json_response({"message": "Not found."}, 404)
        return Response(body=self.text, content_type="text/csv; charset=utf-8")


@pytest.fixture
def host():
    app = CsvHost(HEADER + "".join(f"EAST,SKU-{n},{n},,,,,,\n" for n in range(1, 2001)))
    app.token = "feed-token-123"
    with EmulatorServer(app) as server:
        app.url = f"{server.url}/stock.csv"
        yield app


def _url_merchant(host, *, bearer="feed-token-123") -> Merchant:
    merchant = MerchantFactory(
        connector_key="csv_feed",
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        connection_parameters={"url": host.url},
    )
    merchant.set_secrets({"authorization": f"Bearer {bearer}"})
    merchant.save()
    return merchant


def test_the_feed_is_fetched_from_its_url_on_the_schedule(db, host):
    merchant = _url_merchant(host)

    run = inventory_download(merchant=merchant, trigger=RunTrigger.SCHEDULE)

    assert run.state == RunState.SUCCEEDED
    assert len(_levels(merchant)) == 2000
    assert _levels(merchant)[("EAST", "SKU-17")] == (17, 17, None, None)
    assert host.count() == 1


def test_check_reads_the_header_of_the_feed(db, host):
    connector = warehouse_connector_for(_url_merchant(host))

    assert connector.check() == (
        f"Read the header of the CSV feed at {host.url}: 9 known columns (aliases: UPC)."
    )


def test_a_rejected_token_is_a_configuration_error_that_pauses_the_schedule(db, host):
    merchant = _url_merchant(host, bearer="wrong")

    run = inventory_download(merchant=merchant, trigger=RunTrigger.SCHEDULE)
    merchant.refresh_from_db()

    assert run.state == RunState.FAILED
    assert run.message.startswith("CSV feed GET /stock.csv failed: HTTP 401: Bad token.")
    assert "wrong" not in run.message
    assert merchant.scheduling_paused_reason != ""
    assert Alert.objects.get(merchant=merchant).key == "download:configuration"
    assert _levels(merchant) == {}


def test_a_5xx_before_the_body_is_retried(db, host):
    host.inject(Fault(status=503, body="busy"))
    merchant = _url_merchant(host)

    run = inventory_download(merchant=merchant, trigger=RunTrigger.SCHEDULE)

    assert run.state == RunState.SUCCEEDED
    assert [call.status for call in host.calls] == [503, 200]
    assert len(_levels(merchant)) == 2000


def test_a_connection_dropped_mid_file_fails_the_run_and_applies_nothing(db, host):
    from integration_manager.connector_errors import TransientError

    host.inject(Fault(drop_connection=True))
    merchant = _url_merchant(host)

    with pytest.raises(TransientError, match="broke off while it was being read"):
        inventory_download(merchant=merchant, trigger=RunTrigger.SCHEDULE)

    run = SyncRun.objects.get(merchant=merchant)
    assert run.state == RunState.FAILED
    assert run.records_changed == 0
    assert _levels(merchant) == {}
    assert Product.objects.filter(merchant=merchant).count() == 0
