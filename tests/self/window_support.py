"""Helpers of the window self-tests: a fake FreeSport API over real HTTP, small CommerceML packages."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class FakeApi:
    """What the fake API answers: maintenance flag, a delay, per-path statuses."""

    maintenance: bool = False
    delay_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    products: int = 3
    categories: int = 2
    base_url: str = ""
    hits: int = 0
    """Requests answered, the health probe left out."""


@contextmanager
def fake_api(state: FakeApi) -> Iterator[FakeApi]:
    """Serve ``state`` on 127.0.0.1 (a thread) for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?")[0]
            time.sleep(state.delay_s)
            if path != "/api/health/":
                state.hits += 1  # one handler thread per request; += under the GIL is fine for a count
            if path == "/api/health/":
                status, body = 200, {"status": "ok", "maintenance": state.maintenance}
            elif state.maintenance:
                status, body = 503, {"detail": "maintenance", "maintenance": True}
            elif path in state.statuses:
                status, body = state.statuses[path], {"detail": "error"}
            elif path == "/api/products/":
                status, body = 200, {"count": state.products, "next": None, "previous": None, "results": []}
            elif path == "/api/categories/":
                status, body = 200, {"count": state.categories, "next": None, "previous": None, "results": []}
            else:
                status, body = 404, {"detail": "not found"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


NS = "urn:1C.ru:commerceml_2"


def write_package(root: Path, goods: int = 3, offers_per_good: int = 2, version: str = "2.07",
                  extra_goods_xml: str = "", extra_offers_xml: str = "") -> Path:
    """A small 2.x package: import.xml (groups, goods) and offers.xml (price types, offers, prices, stock)."""
    root.mkdir(parents=True, exist_ok=True)
    goods_xml = "".join(
        f"<Товар><Ид>g{i}</Ид><Наименование>Good {i}</Наименование><Группы><Ид>grp1</Ид></Группы></Товар>"
        for i in range(goods))
    (root / "import.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="{version}">'
        "<Классификатор><Ид>c</Ид><Группы><Группа><Ид>grp1</Ид><Наименование>A</Наименование><Группы>"
        "<Группа><Ид>grp2</Ид><Наименование>B</Наименование></Группа></Группы></Группа></Группы></Классификатор>"
        f"<Каталог><Товары>{goods_xml}{extra_goods_xml}</Товары></Каталог></КоммерческаяИнформация>\n",
        encoding="utf-8")
    offers = "".join(
        f"<Предложение><Ид>g{i}#o{k}</Ид><Наименование>Good {i} {k}</Наименование>"
        "<Цены><Цена><ИдТипаЦены>pt1</ИдТипаЦены><ЦенаЗаЕдиницу>10</ЦенаЗаЕдиницу></Цена></Цены>"
        "<Количество>3</Количество></Предложение>"
        for i in range(goods - 1) for k in range(offers_per_good))
    (root / "offers.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="{version}">'
        "<ПакетПредложений><ТипыЦен><ТипЦены><Ид>pt1</Ид><Наименование>Розничная</Наименование></ТипЦены></ТипыЦен>"
        f"<Предложения>{offers}{extra_offers_xml}</Предложения></ПакетПредложений></КоммерческаяИнформация>\n",
        encoding="utf-8")
    return root
