"""PST-05's price look-up: the API's price field is a setting, which variants must be priced comes from the database."""

from __future__ import annotations

from gate.db.readonly import connect_readonly
from gate.settings import load_settings
from gate.window.facts import priced_skus, variant_findings

FOREIGN = {"variants": [{"sku": "A-1", "current_price": "19.90"}, {"sku": "A-2", "current_price": None}]}


def test_a_variant_priced_as_current_price_passes_and_an_unpriced_one_fails_with_the_default_fields():
    findings = variant_findings("a", 200, FOREIGN, set())
    assert findings == ["a: variant A-2 has no price (none of price, retail_price, current_price)"]


def test_the_price_field_is_a_setting():
    settings = load_settings(environ={"API_PRICE_FIELDS": "amount"}, env_file=None)
    assert settings.api_price_fields == ["amount"]
    assert variant_findings("a", 200, {"variants": [{"sku": "A-1", "amount": 5}]}, set(), None,
                            settings.api_price_fields) == []
    assert variant_findings("a", 200, FOREIGN, set(), None, settings.api_price_fields)  # current_price not named


def test_which_variants_must_be_priced_is_read_from_the_database_not_the_api(gate_db):
    gate_db.execute("ALTER TABLE products ADD COLUMN slug text;"
                    "UPDATE products SET slug = 'p-' || id;"
                    "CREATE TABLE product_variants (id serial PRIMARY KEY, product_id bigint REFERENCES products(id),"
                    " sku text, onec_id text);"
                    "INSERT INTO product_variants (product_id, sku, onec_id) VALUES (1, 'A-1', 'g1#o1'),"
                    " (1, 'A-2', 'g1#o2')")
    with connect_readonly(gate_db.dsn) as conn:
        must = priced_skus(conn, "p-1", {"g1#o1"})
        assert must == {"A-1"}
        assert variant_findings("p-1", 200, FOREIGN, set(), must) == [], "A-2 has no 1C price: no finding"
        assert variant_findings("p-1", 200, FOREIGN, set(), priced_skus(conn, "p-1", {"g1#o1", "g1#o2"}))
    gate_db.execute("ALTER TABLE product_variants DROP COLUMN onec_id")
    with connect_readonly(gate_db.dsn) as conn:
        assert priced_skus(conn, "p-1", {"g1#o1"}) is None, "no 1C id in the database: every variant is priced"
