"""The 1C exchange endpoint (CommerceML HTTP protocol), ``checkauth`` only.

1C first calls ``?type=catalog&mode=checkauth`` with HTTP Basic credentials and expects
``success\\n<cookie name>\\n<cookie value>``; anything else is ``failure\\n<reason>``. The catalog
is loaded by the ``import_products_from_1c`` command from files, so the other modes answer
``failure`` and never change data. Exempt from maintenance: the window's pre-import check calls it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from maintenance_mode.decorators import force_maintenance_mode_off

logger = logging.getLogger(__name__)

SIGNING_SALT = "freesport.1c-exchange"
TEXT = "text/plain; charset=utf-8"


def _failure(reason: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(f"failure\n{reason}", content_type=TEXT, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="FreeSport 1C exchange", charset="UTF-8"'
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def credentials_valid(user: str, password: str) -> bool:
    """Constant-time match against ONEC_EXCHANGE_USER / ONEC_EXCHANGE_PASSWORD (both must be set)."""
    expected_user, expected_password = settings.ONEC_EXCHANGE_USER, settings.ONEC_EXCHANGE_PASSWORD
    if not expected_user or not expected_password:
        return False
    user_ok = secrets.compare_digest(user.encode(), expected_user.encode())
    password_ok = secrets.compare_digest(password.encode(), expected_password.encode())
    return user_ok and password_ok


def checkauth(request: HttpRequest) -> HttpResponse:
    if not settings.ONEC_EXCHANGE_USER or not settings.ONEC_EXCHANGE_PASSWORD:
        logger.warning("1C checkauth refused: ONEC_EXCHANGE_USER/ONEC_EXCHANGE_PASSWORD not configured")
        return _failure("exchange user not configured", status=401)
    creds = _basic_credentials(request)
    if creds is None:
        logger.warning("1C checkauth refused: no HTTP Basic credentials")
        return _failure("authentication required", status=401)
    if not credentials_valid(*creds):
        logger.warning("1C checkauth refused: invalid credentials for user %r", creds[0])
        return _failure("invalid credentials", status=401)
    token = signing.dumps({"user": creds[0], "nonce": secrets.token_hex(8)}, salt=SIGNING_SALT)
    logger.info("1C checkauth ok for user %r", creds[0])
    return HttpResponse(f"success\n{settings.ONEC_EXCHANGE_COOKIE_NAME}\n{token}", content_type=TEXT)


@csrf_exempt
@force_maintenance_mode_off
def exchange(request: HttpRequest) -> HttpResponse:
    exchange_type = request.GET.get("type", "")
    mode = request.GET.get("mode", "")
    if exchange_type not in {"catalog", "sale"}:
        return _failure(f"unknown type {exchange_type!r}")
    if mode == "checkauth":
        return checkauth(request)
    return _failure("not implemented")
