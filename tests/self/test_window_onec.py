"""The gate's own CommerceML reader: expected counts, and each package fault ONE-02..04 exists to catch."""

from __future__ import annotations

from pathlib import Path

import pytest
from window_support import write_package

from gate.onec import read_package
from gate.onec.package import file_hashes
from gate.window.facts import changed_files

SHARED = Path(__file__).resolve().parents[3] / "shared" / "commerceml-samples"


def test_expected_counts_follow_the_runbook_rules(tmp_path):
    pkg = read_package(write_package(tmp_path / "p", goods=3, offers_per_good=2))
    # 3 goods; goods 0,1 have 2 offers each, good 2 has none → 4 offers + 1 default variant
    assert pkg.counts() == {"products": 3, "variants": 5, "categories": 2}
    assert not pkg.missing_kinds and not pkg.broken_files and not pkg.inconsistencies


def test_deleted_goods_are_not_expected_and_their_offers_do_not_resurrect_them(tmp_path):
    deleted = '<Товар Статус="Удален"><Ид>gx</Ид><Наименование>Gone</Наименование></Товар>'
    offer = "<Предложение><Ид>gx#o1</Ид><Наименование>Gone 1</Наименование><Количество>9</Количество></Предложение>"
    pkg = read_package(write_package(tmp_path / "p", extra_goods_xml=deleted, extra_offers_xml=offer))
    assert pkg.expected_products == 3 and pkg.expected_variants == 5


def test_truncated_xml_fails_one_03(tmp_path):
    root = write_package(tmp_path / "p")
    data = (root / "offers.xml").read_bytes()
    (root / "offers.xml").write_bytes(data[: len(data) // 2])
    broken = read_package(root).broken_files
    assert len(broken) == 1 and broken[0].startswith("offers.xml")


def test_dtd_and_entities_are_refused_before_parsing(tmp_path):
    root = write_package(tmp_path / "p")
    (root / "evil.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                   '<КоммерческаяИнформация ВерсияСхемы="2.07">&e;</КоммерческаяИнформация>')
    assert any("DTD" in b for b in read_package(root).broken_files)


def test_unsupported_version_fails_one_03(tmp_path):
    assert any("unsupported CommerceML version 1.0" in b
               for b in read_package(write_package(tmp_path / "p", version="1.0")).broken_files)


def test_missing_offers_file_fails_one_02(tmp_path):
    root = write_package(tmp_path / "p")
    (root / "offers.xml").unlink()
    assert set(read_package(root).missing_kinds) == {"offers", "prices", "rests"}


def test_orphan_offer_and_unresolved_price_type_fail_one_04(tmp_path):
    orphan = ("<Предложение><Ид>nobody#o1</Ид><Наименование>x</Наименование><Цены><Цена>"
              "<ИдТипаЦены>pt-unknown</ИдТипаЦены></Цена></Цены></Предложение>")
    problems = read_package(write_package(tmp_path / "p", extra_offers_xml=orphan)).inconsistencies
    assert any("1 offer(s) whose product is in no file" in p for p in problems)
    assert any("pt-unknown" in p for p in problems)


def test_duplicate_good_id_fails_one_04(tmp_path):
    dup = "<Товар><Ид>g0</Ид><Наименование>again</Наименование></Товар>"
    assert any("duplicate id Товар g0" in p for p in read_package(write_package(tmp_path / "p",
                                                                                  extra_goods_xml=dup)).inconsistencies)


def test_package_changed_by_the_import_fails_imp_03(tmp_path):
    root = write_package(tmp_path / "p")
    before = file_hashes(root)
    (root / "offers.xml").unlink()
    (root / "import.xml").write_text((root / "import.xml").read_text() + " ")
    assert changed_files(before, file_hashes(root)) == ["import.xml: changed", "offers.xml: gone"]


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/commerceml-samples not present")
def test_real_2_07_export_reads_with_comma_decimals_and_nested_groups():
    pkg = read_package(SHARED / "dobromyslov-commerceml-parser" / "data")
    assert pkg.expected_products > 100 and pkg.expected_categories > 5


def _run_import_step(tmp_path: Path, package: Path, reads_copy: bool) -> None:
    import os
    import subprocess

    consumer = tmp_path / "consuming_importer.sh"
    consumer.write_text('#!/usr/bin/env bash\nwhile [[ $# -gt 0 ]]; do [[ "$1" == --data-dir ]] && rm -rf "$2"/*; '
                        "shift; done\n")
    consumer.chmod(0o755)
    env = {**os.environ, "RUN_DIR": str(tmp_path / "run"), "ONEC_DATA_DIR": str(package),
           "MANAGE_CMD": str(consumer), "IMPORT_READS_COPY": "yes" if reads_copy else "",
           "GATE_WINDOW_STEPS": "import"}  # the step alone: the guard asks for no earlier step
    (tmp_path / "run").mkdir(exist_ok=True)
    repo = Path(__file__).resolve().parents[2]
    subprocess.run(["bash", str(repo / "scripts" / "steps" / "import.sh")], env=env, check=True,
                   capture_output=True, text=True)


def test_import_reads_copy_keeps_the_package_from_an_importer_that_consumes_it(tmp_path):
    package = write_package(tmp_path / "onec")
    before = file_hashes(package)
    _run_import_step(tmp_path, package, reads_copy=True)
    assert changed_files(before, file_hashes(package)) == []
    _run_import_step(tmp_path, package, reads_copy=False)
    assert changed_files(before, file_hashes(package)) == ["import.xml: gone", "offers.xml: gone"]


def test_the_read_ahead_gives_the_reading_the_checks_would_read_and_raises_its_error(tmp_path, monkeypatch):
    from gate.onec import reading as reading_module
    from gate.target_fixtures import OnecReadAhead

    root = write_package(tmp_path / "p", goods=3, offers_per_good=2)
    ahead = OnecReadAhead()
    assert ahead.take() is None  # nothing begun: the fixture reads as before
    ahead.begin(root, tmp_path / "run")
    pkg, _ = ahead.take() or (None, None)
    assert pkg is not None and pkg.counts() == {"products": 3, "variants": 5, "categories": 2}
    assert (tmp_path / "run" / reading_module.CACHE_FILE).exists()  # the same cache the later sessions load
    assert ahead.take() is None
    ahead.end()

    def torn(root: Path, cache_dir: Path) -> None:
        raise ValueError("torn package")

    monkeypatch.setattr(reading_module, "read_onec_cached", torn)
    failing = OnecReadAhead()
    failing.begin(root, tmp_path / "run2")
    with pytest.raises(ValueError, match="torn package"):
        failing.take()
    failing.begin(root, tmp_path / "run3")
    failing.end()  # a reading nobody took ends the session quietly
