"""WSGI entry point for gunicorn (``gunicorn freesport.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "freesport.settings")

application = get_wsgi_application()
