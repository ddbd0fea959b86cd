"""Step 5: Pre-Import Validation — 1C answers checkauth, the package is complete and consistent, colors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.http.api import checkauth

if TYPE_CHECKING:
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.onec.package import OnecPackage
    from gate.onec.price_types import PriceTypeMap
    from gate.onec.prices import PriceReading
    from gate.settings import Settings


@pytest.mark.check("ONE-01", severity="critical")
def test_onec_checkauth_answers_success(settings: Settings, check_message: MessageReporter) -> None:
    """curl -f $ONEC_HEALTHCHECK_URL: checkauth with credentials answers success, without them it refuses."""
    url = settings.onec_url
    if not settings.onec_exchange_user or settings.onec_exchange_password is None:
        pytest.skip("ONEC_EXCHANGE_USER/ONEC_EXCHANGE_PASSWORD not set: checkauth cannot be verified")
    ok = checkauth(url, settings.onec_exchange_user, settings.onec_exchange_password.get_secret_value())
    assert ok.success, f"checkauth with credentials answered HTTP {ok.status} {ok.first_line!r}, not success"
    anonymous = checkauth(url, None, None)
    assert anonymous.refused, f"checkauth without credentials was not refused (HTTP {anonymous.status})"
    check_message("checkauth: success with credentials, refused without")


@pytest.mark.check("ONE-02", severity="critical")
def test_onec_files_present(onec_package: OnecPackage, check_message: MessageReporter) -> None:
    """ls -la /path/to/1c/data/*.xml: goods, offers, prices, rests and groups are all there."""
    assert onec_package.files, f"no XML file under {onec_package.root}"
    assert not onec_package.missing_kinds, f"missing from the package: {', '.join(onec_package.missing_kinds)}"
    check_message(f"{len(onec_package.files)} files: {', '.join(sorted(onec_package.kinds_present))}")


@pytest.mark.check("ONE-03", severity="critical")
def test_onec_xml_well_formed_complete_supported(onec_package: OnecPackage,
                                                 check_message: MessageReporter) -> None:
    """XML well-formed, not truncated, a supported CommerceML version, no DTD/entities."""
    assert not onec_package.broken_files, "; ".join(onec_package.broken_files[:5])
    versions = sorted({f.version for f in onec_package.files})
    check_message(f"{len(onec_package.files)} files well-formed, CommerceML {', '.join(versions)}")


@pytest.mark.check("ONE-04", severity="high")
def test_onec_xml_consistent(onec_package: OnecPackage, onec_prices: PriceReading, price_types: PriceTypeMap,
                             check_message: MessageReporter) -> None:
    """Unique ids, offers resolve to goods, every price refers to a declared type, the retail type maps.

    The retail price type must resolve through ``PRICE_TYPES_FILE``: else the import would leave
    every retail price empty, and the window stops here, before anything changes.
    """
    problems = [*onec_package.inconsistencies, *onec_prices.mapping_problems(price_types)]
    assert not problems, "; ".join(problems)
    c = onec_package.counts()
    retail = [n for t, n in onec_prices.type_names.items()
              if price_types.resolve(onec_prices.type_names).get(t) == price_types.retail_column]
    check_message(f"expected: {c['products']} products, {c['variants']} variants, {c['categories']} categories; "
                  f"retail price type {', '.join(repr(n) for n in retail) or '(no prices)'}")


@pytest.mark.check("COL-01", severity="low")
def test_color_mappings_at_least_20(settings: Settings, target_db: TargetDb,
                                    check_message: MessageReporter) -> None:
    """ColorMapping.objects.count() >= 20 (read-only connection)."""
    colors = target_db.count(settings.color_table)
    assert colors >= settings.min_colors, f"{colors} color mappings < {settings.min_colors}"
    check_message(f"{colors} color mappings")
