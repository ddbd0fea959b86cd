"""Prices and stock proven against the 1C package: the mapping file, ONE-04, PST-11, PST-12.

Packages are built for it (tests/self/price_packages.py): a retail type named РРЦ, a retail type
left unmapped, prices keyed by the bare product Ид, a prices file covering only some offers, stock
over several warehouses. The reading is checked alone first; then the real importer imports them
into a real PostgreSQL migrated by the backend, and the real checks run against it through
``python -m gate.window checks``: they pass on the healthy import and fail on each fault.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from price_packages import (
    HEAD,
    TAIL,
    PackageSpec,
    offer_package,
    retail_of,
    stock_of,
    variant_keys,
    write_price_package,
)

from gate.onec import package, prices, reading
from gate.onec.package import read_package
from gate.onec.price_types import PriceTypesError, load_price_types
from gate.onec.prices import compare_prices, compare_stock, read_prices
from gate.onec.reading import read_onec_cached
from rehearse.backend import manage

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "deploy" / "price-types.yml"
SHARED = REPO.parent / "shared" / "commerceml-samples"


@pytest.fixture(scope="module")
def price_map():
    return load_price_types(MAPPING)


def _healthy_db(root: Path, price_map) -> dict[str, dict]:
    """What a correct import leaves, computed from the builder's own formulas (not from the reader)."""
    spec = PackageSpec()
    db = {}
    for n, key in enumerate(variant_keys(spec)):
        row = dict.fromkeys(price_map.columns)
        row["retail_price"] = Decimal(retail_of(n).replace(",", "."))
        for column, i in (("opt1_price", 1), ("opt2_price", 2), ("opt3_price", 3), ("trainer_price", 4)):
            row[column] = Decimal(900 - i * 50 + n).quantize(Decimal("0.01"))
        row["stock_quantity"] = sum(stock_of(n, w) for w in range(spec.warehouses))
        db[key] = row
    return db


def test_retail_named_rrc_maps_and_bare_id_prices_belong_to_the_default_variant(tmp_path, price_map):
    root = write_price_package(tmp_path / "p")
    reading, pkg = read_prices(root), read_package(root)
    assert not reading.mapping_problems(price_map)
    mapped = price_map.resolve(reading.type_names)
    assert mapped["pt-retail"] == "retail_price" and mapped["pt-5"] is None  # МРЦ: ignored on purpose
    assert mapped["pt-1"] == "opt1_price" and mapped["pt-3"] == "opt3_price"
    assert reading.column_values("g5", mapped)["retail_price"] == Decimal("1333.09")  # bare Ид g5: the 10th key
    found = compare_prices(reading, pkg, price_map, _healthy_db(root, price_map), 0, 13)
    assert found.ok, found.as_dict()
    assert found.columns["retail_price"] == {"package": 10, "database": 10} and found.orphans == 1
    assert found.columns["federation_price"] == {"package": 0, "database": 0}


def test_the_reading_is_cached_per_run_and_a_changed_package_is_read_again(tmp_path, price_map, monkeypatch):
    root, run_dir = write_price_package(tmp_path / "p"), tmp_path / "run"
    calls: list[Path] = []
    real = reading.read_onec
    monkeypatch.setattr(reading, "read_onec", lambda r: calls.append(r) or real(r))
    first = read_onec_cached(root, run_dir)
    second = read_onec_cached(root, run_dir)  # a later check session of the same run
    assert len(calls) == 1 and (run_dir / reading.CACHE_FILE).is_file()
    assert prices.as_dict(second[1]) == prices.as_dict(first[1]) == prices.as_dict(read_prices(root))
    assert second[0].to_json() == read_package(root).to_json() and second[0].offers == read_package(root).offers
    pkg, db = read_package(root), _healthy_db(root, price_map)
    assert compare_prices(second[1], pkg, price_map, db, 0, 13).ok and compare_stock(second[1], pkg, db, 0, 13).ok
    offers = next(root.rglob("*.xml"))
    offers.write_text(offers.read_text() + "\n")  # the package changed between sessions: read again
    read_onec_cached(root, run_dir)
    assert len(calls) == 2
    (run_dir / reading.CACHE_FILE).write_text("{not json")  # a torn cache is read again, not trusted
    assert prices.as_dict(read_onec_cached(root, run_dir)[1]) == prices.as_dict(first[1]) and len(calls) == 3


def test_a_file_changed_in_place_with_its_size_and_mtime_kept_is_read_again(tmp_path, price_map, monkeypatch):
    root, run_dir = write_price_package(tmp_path / "p"), tmp_path / "run"
    calls: list[Path] = []
    real = reading.read_onec
    monkeypatch.setattr(reading, "read_onec", lambda r: calls.append(r) or real(r))
    before = read_onec_cached(root, run_dir)[1]
    path = next(p for p in sorted(root.rglob("*.xml")) if "ЦенаЗаЕдиницу" in p.read_text())
    stat, text = path.stat(), path.read_text()
    value = text.split("<ЦенаЗаЕдиницу>", 1)[1].split("<", 1)[0]
    changed = text.replace(f"<ЦенаЗаЕдиницу>{value}<", f"<ЦенаЗаЕдиницу>{'9' * len(value)}<", 1)
    assert changed != text and len(changed.encode()) == len(text.encode())
    path.write_text(changed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same name, size and mtime: only the bytes differ
    after = read_onec_cached(root, run_dir)[1]
    assert len(calls) == 2 and prices.as_dict(after) != prices.as_dict(before)
    assert prices.as_dict(after) == prices.as_dict(read_prices(root))


def test_one_pass_gives_what_the_package_and_the_prices_readers_give_alone(tmp_path):
    root = write_price_package(tmp_path / "p")
    pkg, both = reading.read_onec(root)
    alone = read_package(root)
    assert pkg.to_json() == alone.to_json() and pkg.offers == alone.offers and pkg.priced_offers == alone.priced_offers
    assert prices.as_dict(both) == prices.as_dict(read_prices(root)) and both.prices and both.stock


def _many_files(root: Path) -> Path:
    """The price package and more files whose order matters: a good again in a later file (a duplicate across
    files), a later offers file pricing offers a prices file priced (it must not win), a later partial prices file."""
    write_price_package(root)
    (root / "goods" / "goods2.xml").write_text(
        HEAD + '<Каталог><Ид>cl</Ид><Товары><Товар><Ид>g1</Ид><Наименование>Снова</Наименование></Товар>'
        "<Товар><Ид>g9</Ид><Наименование>Новый</Наименование></Товар></Товары></Каталог>" + TAIL, encoding="utf-8")
    price = "<Цены><Цена><ИдТипаЦены>pt-retail</ИдТипаЦены><ЦенаЗаЕдиницу>{}</ЦенаЗаЕдиницу></Цена></Цены>"
    (root / "zoffers").mkdir()
    (root / "zoffers" / "late.xml").write_text(HEAD + offer_package(
        f"<Предложение><Ид>g0#v0</Ид><Наименование>Позже</Наименование>{price.format(1)}<Количество>7</Количество>"
        "</Предложение>", False) + TAIL, encoding="utf-8")
    (root / "zprices").mkdir()
    (root / "zprices" / "delta.xml").write_text(HEAD + offer_package(
        f"<Предложение><Ид>g0#v1</Ид>{price.format(2)}</Предложение>", True) + TAIL, encoding="utf-8")
    return root


def _facts(pkg, both) -> tuple[object, ...]:
    return (pkg.to_json(), pkg.duplicate_ids, *(getattr(pkg, n) for n in reading.ID_SETS), prices.as_dict(both))


def test_several_processes_read_what_one_pass_reads(tmp_path):
    root = _many_files(tmp_path / "p")
    one = reading.read_onec(root, jobs=1)
    shared = reading.read_onec(root, jobs=3, min_bytes=0)
    assert _facts(*shared) == _facts(*one) == _facts(read_package(root), read_prices(root))
    assert one[0].duplicate_ids == ["Товар g1 in goods/goods2.xml", "Предложение g0#v0 in zoffers/late.xml"]
    # a later offers file's price and stock never replace a prices/rests file's; a later prices file's do
    assert ("pt-retail", Decimal("1.00"), "") not in one[1].prices["g0#v0"] and one[1].stock["g0#v0"] != 7
    assert one[1].prices["g0#v1"] == (("pt-retail", Decimal("2.00"), ""),) and one[1].prices_delta


def test_equal_price_and_rest_elements_are_read_once_but_each_offer_keeps_its_own(tmp_path, monkeypatch):
    """A ``Цены`` or ``Остатки`` seen before is known by its serialisation (package.ByContent): offers with the same
    text under other ids, in another namespace or in another file still get their own key, and one that differs
    in a single character is read anew, as if nothing were cached."""
    price = "<Цены><Цена><ИдТипаЦены>pt-retail</ИдТипаЦены><ЦенаЗаЕдиницу>{}</ЦенаЗаЕдиницу></Цена></Цены>"
    rest = "<Остатки><Остаток><Склад><Ид>w</Ид><Количество>{}</Количество></Склад></Остаток></Остатки>"
    offers = "".join(f"<Предложение><Ид>g{n}#v</Ид>{price.format(p)}{rest.format(q)}</Предложение>"
                     for n, (p, q) in enumerate([("10", "3"), ("10", "3"), ("10,5", "3"), ("10", "4"), ("10", "3")]))
    root = tmp_path / "p"
    (root / "a").mkdir(parents=True)
    (root / "a" / "prices.xml").write_text(HEAD + offer_package(offers, False) + TAIL, encoding="utf-8")
    other_ns = HEAD.replace('xmlns="urn:1C.ru:commerceml_3"', 'xmlns="urn:1C.ru:commerceml_210"')
    (root / "b").mkdir()
    (root / "b" / "prices.xml").write_text(other_ns + offer_package(
        f"<Предложение><Ид>g9#v</Ид>{price.format('10,5')}{rest.format('4')}</Предложение>", False) + TAIL,
        encoding="utf-8")
    pkg, got = reading.read_onec(root, jobs=1)
    expected = {"g0#v": ("10.00", 3), "g1#v": ("10.00", 3), "g2#v": ("10.50", 3), "g3#v": ("10.00", 4),
                "g4#v": ("10.00", 3), "g9#v": ("10.50", 4)}
    assert {k: (str(e[0][1]), got.stock[k]) for k, e in got.prices.items()} == expected
    assert got.prices["g0#v"] is got.prices["g4#v"] and pkg.priced_offers == set(expected)
    assert got.uses["pt-retail"] == 6 and pkg.price_refs == {"pt-retail"}
    monkeypatch.setattr(package, "price_list", package._read_prices)  # nothing cached: the same reading
    monkeypatch.setattr(prices, "_rests", prices._read_rests)
    assert _facts(*reading.read_onec(root, jobs=1)) == _facts(pkg, got)


def test_the_files_are_shared_out_and_a_helper_that_fails_leaves_its_files_to_the_reader(tmp_path, monkeypatch):
    root = _many_files(tmp_path / "p")
    read_here: list[Path] = []
    real = reading._read_part
    monkeypatch.setattr(reading, "_read_part", lambda r, path: read_here.append(path) or real(r, path))
    files = len(list(root.rglob("*.xml")))
    shared = reading.read_onec(root, jobs=2, min_bytes=0)
    assert 0 < len(read_here) < files  # the other share was read by the helper process
    read_here.clear()
    monkeypatch.setattr(reading.sys, "executable", "/bin/false")
    assert _facts(*reading.read_onec(root, jobs=2, min_bytes=0)) == _facts(*shared) and len(read_here) == files


def test_every_retail_price_empty_fails_pst_11_naming_the_column(tmp_path, price_map):
    root = write_price_package(tmp_path / "p")
    db = _healthy_db(root, price_map)
    for row in db.values():
        row["retail_price"] = None
    found = compare_prices(read_prices(root), read_package(root), price_map, db, 0, 13)
    assert found.findings[0] == "retail_price is empty on every variant but the package has 10 retail prices"


def test_prices_zeroed_differ_in_the_sample_exactly(tmp_path, price_map):
    root = write_price_package(tmp_path / "p")
    db = _healthy_db(root, price_map)
    db["g0#v1"]["opt2_price"] = Decimal("0.00")
    found = compare_prices(read_prices(root), read_package(root), price_map, db, 0, 13)
    assert not found.findings and found.difference_count == 1
    assert found.differences == ["g0#v1 opt2_price: database 0.00, package 801.00"]
    db["nobody0#x"] = {**dict.fromkeys(price_map.columns), "retail_price": Decimal("5.00")}
    found = compare_prices(read_prices(root), read_package(root), price_map, db, 0, 13)
    assert found.findings == ["1 orphan offer(s) (their product is in no goods file) were imported and priced, "
                              "e.g. nobody0#x"]


def test_retail_type_left_unmapped_is_a_one_04_problem_naming_the_type(tmp_path, price_map):
    root = write_price_package(tmp_path / "p", PackageSpec(retail="Цена для сайта"))
    problems = read_prices(root).mapping_problems(price_map)
    assert len(problems) == 1
    assert "no price type of the package maps to retail_price" in problems[0]
    assert "'Цена для сайта' (11 prices)" in problems[0] and "price-types.yml" in problems[0]


def test_an_unmapped_type_pricing_most_offers_is_a_high_finding_with_its_count(tmp_path, price_map):
    spec = PackageSpec(types=["Опт 4 (дилеры)"])
    root = write_price_package(tmp_path / "p", spec)
    reading = read_prices(root)
    db = {k: {**dict.fromkeys(price_map.columns), "retail_price": v["retail_price"]}
          for k, v in _healthy_db(root, price_map).items()}
    found = compare_prices(reading, read_package(root), price_map, db, 0, 13)
    assert found.ok and found.high_findings == [
        "price type 'Опт 4 (дилеры)' prices 10 of 11 offers but maps to no column in "
        f"{MAPPING}"]


def test_a_partial_prices_file_asserts_only_the_offers_it_lists(tmp_path, price_map):
    root = write_price_package(tmp_path / "p", PackageSpec(prices_only_changes=True, priced_share=2))
    reading = read_prices(root)
    assert reading.prices_delta
    db = {k: {**v, **({} if n % 2 == 0 else dict.fromkeys(price_map.columns, Decimal("1.00")))}
          for n, (k, v) in enumerate(_healthy_db(root, price_map).items())}
    found = compare_prices(reading, read_package(root), price_map, db, 0, 13)
    assert found.ok, found.as_dict()
    assert found.not_asserted == 5 and found.columns["retail_price"]["package"] == 5


def test_stock_sums_warehouses_and_normalises_negative_stock(tmp_path, price_map):
    root = write_price_package(tmp_path / "p", PackageSpec(warehouses=3))
    reading = read_prices(root)
    assert reading.stock["g0#v1"] == stock_of(1, 0) + stock_of(1, 1) + stock_of(1, 2)  # the -4 warehouse counts 0
    db = {k: {"stock_quantity": reading.stock[k]} for k in variant_keys(PackageSpec())}
    found = compare_stock(reading, read_package(root), db, 0, 13)
    assert found.ok and found.notes["multi_warehouse"] == 10
    db["g1#v0"]["stock_quantity"] = 0
    lost = compare_stock(reading, read_package(root), db, 0, 13)
    assert lost.findings and lost.difference_count == 1


def test_a_broken_mapping_file_names_the_file_and_entry(tmp_path):
    bad = tmp_path / "pt.yml"
    bad.write_text("retail_column: retail_price\ncolumns: [retail_price]\ntypes:\n  - ignore: ''\n    names: [X]\n")
    with pytest.raises(PriceTypesError, match=r"pt.yml: types entry 1: `ignore` needs the reason"):
        load_price_types(bad)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/commerceml-samples not present")
@pytest.mark.parametrize(("sample", "retail"), [("dobromyslov-commerceml-parser/data", "BASE"),
                                                  ("carono-php-commerceml/tests/xml", "Розничная")])
def test_real_exports_feed_the_retail_column(sample, retail, price_map):
    reading = read_prices(SHARED / sample)
    assert not reading.mapping_problems(price_map)
    mapped = price_map.resolve(reading.type_names)
    assert [reading.type_names[t] for t, c in mapped.items() if c == "retail_price"] == [retail]
    assert reading.prices and reading.stock


# -- the real importer, the real checks ------------------------------------------------------------------
def _backend_env(dsn: str, tmp: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": "self-test", "LOG_DIR": str(tmp / "log"),
            "DJANGO_SETTINGS_MODULE": "freesport.settings", "PRICE_TYPES_FILE": str(MAPPING)}


def _manage(dsn: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return manage(_backend_env(dsn, tmp), *args, check=False, timeout=600)


@pytest.fixture(scope="module")
def migrated_template(gate_pg, tmp_path_factory):
    """A database at v13.4 (the backend's own migrations), cloned per test."""
    name = "prices_selftest_template"
    dsn = gate_pg.create_database(name)
    proc = _manage(dsn, tmp_path_factory.mktemp("migrate"), "migrate", "--noinput")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    yield name
    gate_pg.drop_database(name)


def _imported(gate_pg, template: str, tmp: Path, spec: PackageSpec) -> tuple[str, Path]:
    import secrets

    package = write_price_package(tmp / "onec", spec)
    dsn = gate_pg.create_database(f"prices_{secrets.token_hex(3)}", template=template)
    proc = _manage(dsn, tmp, "import_products_from_1c", "--full", "--data-dir", str(package))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return dsn, package


def _checks(dsn: str, package: Path, tmp: Path, ids: str) -> dict[str, dict]:
    env_file = tmp / "gate.env"
    env_file.write_text(f"DATABASE_URL={dsn}\nONEC_DATA_DIR={package}\nPRICE_TYPES_FILE={MAPPING}\n"
                        f"RUN_DIR={tmp / 'run'}\nWINDOW_OPEN=true\n")
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO)}
    for key in ("DATABASE_URL", "RUN_DIR", "RUN_ID", "ONEC_DATA_DIR"):
        env.pop(key, None)
    subprocess.run([sys.executable, "-m", "gate.window", "checks", ids], cwd=REPO, env=env, capture_output=True,
                   text=True, check=False, timeout=600)
    return {r["id"]: r for r in json.loads((tmp / "run" / "summary.json").read_text())["checks"]}


def _sql(dsn: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


def test_the_importer_maps_rrc_and_bare_ids_and_pst_11_12_pass_then_catch_zeroed_prices_and_lost_stock(
        gate_pg, migrated_template, tmp_path):
    dsn, package = _imported(gate_pg, migrated_template, tmp_path, PackageSpec())
    rows = _checks(dsn, package, tmp_path, "ONE-04,PST-11,PST-12")
    assert [rows[i]["outcome"] for i in ("ONE-04", "PST-11", "PST-12")] == ["passed"] * 3, rows
    assert "retail_price 10/10" in rows["PST-11"]["message"] and "1 orphan price" in rows["PST-11"]["message"]
    assert "over several warehouses" in rows["PST-12"]["message"]
    evidence = json.loads((tmp_path / "run" / "prices_stock.json").read_text())
    assert evidence["prices"]["columns"]["opt3_price"] == {"package": 10, "database": 10}
    _sql(dsn, "UPDATE product_variants SET retail_price = 0.00, opt1_price = 0.00 WHERE retail_price IS NOT NULL")
    _sql(dsn, "UPDATE product_variants SET stock_quantity = 0 WHERE onec_id IN ('g0#v0', 'g1#v1', 'g4')")
    rows = _checks(dsn, package, tmp_path, "PST-11,PST-12")
    assert rows["PST-11"]["outcome"] == "failed" and "price(s) differ" in rows["PST-11"]["message"]
    assert rows["PST-12"]["outcome"] == "failed" and "variants in stock" in rows["PST-12"]["message"]


def test_partial_prices_file_imports_and_pst_11_asserts_only_the_listed_offers(gate_pg, migrated_template,
                                                                                tmp_path):
    dsn, package = _imported(gate_pg, migrated_template, tmp_path, PackageSpec(prices_only_changes=True,
                                                                              priced_share=2))
    rows = _checks(dsn, package, tmp_path, "PST-11")
    assert rows["PST-11"]["outcome"] == "passed", rows["PST-11"]
    assert "5 not in the partial prices file" in rows["PST-11"]["message"]


def test_retail_type_unmapped_fails_one_04_before_anything_changes(gate_pg, migrated_template, tmp_path):
    dsn, package = _imported(gate_pg, migrated_template, tmp_path, PackageSpec(retail="Цена для сайта"))
    rows = _checks(dsn, package, tmp_path, "ONE-04,PST-11")
    assert rows["ONE-04"]["outcome"] == "failed" and "'Цена для сайта'" in rows["ONE-04"]["message"]
    # what the import did with it (had the window gone on): every retail price empty, and PST-11 fails critical
    assert rows["PST-11"]["outcome"] == "failed" and rows["PST-11"]["severity"] == "critical", rows["PST-11"]
    assert "no price type of the package maps to retail_price" in rows["PST-11"]["message"]


def test_the_retail_type_unmapped_fault_renames_the_copy_so_one_04_refuses_it(tmp_path, price_map):
    import shutil

    from rehearse import faults

    onec = tmp_path / "onec"
    shutil.copytree(REPO / "backend" / "sample_data" / "commerceml", onec)
    assert not read_prices(onec).mapping_problems(price_map)
    assert faults.rename_retail_type(onec) == "retail price type 'Розничная' renamed to 'Цена для сайта (новая)'"
    problems = read_prices(onec).mapping_problems(price_map)
    assert problems and "'Цена для сайта (новая)' (576 prices)" in problems[0]
    assert not read_package(onec).broken_files  # still well-formed, BOM kept: only ONE-04 may stop it


def test_the_signoff_page_shows_the_price_and_stock_comparison(tmp_path, price_map):
    from gate.onec.prices import EVIDENCE_FILE
    from gate.report.run_view import load_run
    from gate.report.signoff import render_html, render_markdown
    from rehearse.report_sample import make_sample_run

    root = write_price_package(tmp_path / "p")
    db = _healthy_db(root, price_map)
    db["g0#v1"]["opt2_price"] = Decimal("0.00")
    reading, pkg = read_prices(root), read_package(root)
    evidence = {"prices": compare_prices(reading, pkg, price_map, db, 0, 13).as_dict(),
                "stock": compare_stock(reading, pkg, db, 5, 13).as_dict()}
    run_dir = make_sample_run(tmp_path / "run", "GO", with_allure=False)
    (run_dir / EVIDENCE_FILE).write_text(json.dumps(evidence, default=str))
    html, md = render_html(load_run(run_dir)), render_markdown(load_run(run_dir))
    assert "<h2>Prices and stock vs the 1C package</h2>" in html
    assert '<td class="mono">retail_price</td><td>10</td><td>10</td>' in html
    assert "| prices | opt2_price | 10 | 10 | equal |" in md
    assert "| stock | units |" in md
    assert "prices: 10 variants sampled (sample size 10), 1 difference(s) found" in md
    assert "stock: 5 variants sampled (sample size 5), 0 difference(s) found" in md
    assert "g0#v1 opt2_price: database 0.00, package 801.00" in md


def test_a_file_declaring_entities_is_not_read_for_prices(tmp_path, price_map):
    root = write_price_package(tmp_path / "p")
    evil = root / "prices" / "zz-evil.xml"  # read last: its price would win if it were read
    evil.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "9999">]><КоммерческаяИнформация ВерсияСхемы="3.1">'
        "<ПакетПредложений><Предложения><Предложение><Ид>g0#v0</Ид><Цены><Цена><ИдТипаЦены>pt-retail</ИдТипаЦены>"
        "<ЦенаЗаЕдиницу>&e;</ЦенаЗаЕдиницу></Цена></Цены></Предложение></Предложения></ПакетПредложений>"
        "</КоммерческаяИнформация>")
    mapped = price_map.resolve(read_prices(root).type_names)
    assert read_prices(root).column_values("g0#v0", mapped)["retail_price"] == Decimal(retail_of(0).replace(",", "."))


def _variant_rows(db: dict[str, dict], price_map) -> prices.VariantRows:
    """The plain rows as ``variant_values`` keeps them: prices as PostgreSQL's numeric text, then the stock."""
    rows = prices.VariantRows((*price_map.columns, "stock_quantity"))
    for key, row in db.items():
        rows.add(key, (*(None if row.get(c) is None else str(row[c]) for c in price_map.columns),
                       row.get("stock_quantity")))
    return rows


def test_the_compact_rows_find_what_the_plain_rows_find_and_keep_equal_prices_once(tmp_path, price_map):
    root = write_price_package(tmp_path / "p", PackageSpec(warehouses=3))
    pkg, got = reading.read_onec(root)
    db = _healthy_db(root, price_map)
    db["g0#v1"]["opt2_price"] = Decimal("0.00")
    db["g1#v0"]["stock_quantity"] = 0
    db["g2#v0"]["trainer_price"] = None
    rows = _variant_rows(db, price_map)
    for size in (0, 3):
        assert compare_prices(got, pkg, price_map, rows, size, 13).as_dict() == \
            compare_prices(got, pkg, price_map, db, size, 13).as_dict()
        assert compare_stock(got, pkg, rows, size, 13).as_dict() == compare_stock(got, pkg, db, size, 13).as_dict()
    found = compare_prices(got, pkg, price_map, rows, 0, 13)
    assert found.columns["trainer_price"] == {"package": 10, "database": 9} and found.difference_count == 2
    assert "g0#v1 opt2_price: database 0.00, package 801.00" in found.differences
    assert rows["g0#v1"]["opt2_price"] == Decimal("0.00") and rows["g1#v0"]["stock_quantity"] == 0
    rows.add("x#1", ("1.00",) * len(price_map.columns) + (1,))
    rows.add("x#2", ("1.00",) * len(price_map.columns) + (2,))
    assert rows.cells["x#1"][0] is rows.cells["x#2"][0]  # equal prices: one tuple for both rows


def test_the_reading_keeps_each_id_once_also_in_its_pickle(tmp_path):
    root, run_dir = write_price_package(tmp_path / "p"), tmp_path / "run"
    read_onec_cached(root, run_dir)
    for pkg, got in (reading.read_onec(root), read_onec_cached(root, run_dir)):  # read, then loaded from the pickle
        key = next(k for k in got.prices if k in pkg.offers)
        assert next(o for o in pkg.offers if o == key) is key
        assert next(o for o in pkg.priced_offers if o == key) is key
        assert next(k for k in got.stock if k == key) is key
