"""Settings of the django-helpdesk peer: the smallest project helpdesk's install docs ask
for, configured the way one would run it in production.

This file runs inside the peer's own virtualenv (bench/peers/helpdesk/requirements.txt),
never under Careplane's interpreter. bench/peers/helpdesk_peer.py passes everything
run-specific through the environment:

- ``HELPDESK_PEER_DATABASE_URL``: ``postgresql://user[:password]@host:port/dbname``
- ``HELPDESK_PEER_SECRET_KEY``: fresh for every run
- ``HELPDESK_PEER_MEDIA_ROOT``: where attachments would go (the bench sends none)

Choices that matter for a fair comparison: ``DEBUG = False``, persistent connections
(``CONN_MAX_AGE = 600``), DRF token authentication only, and the dummy mail backend, so
helpdesk renders the new-ticket mail from its templates, as in a real request, and the
message is discarded instead of sent.
"""

import os
from urllib.parse import unquote, urlsplit

_database = urlsplit(os.environ["HELPDESK_PEER_DATABASE_URL"])

SECRET_KEY = os.environ["HELPDESK_PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# As helpdesk's install docs list them: helpdesk needs sites (mail links), admin,
# humanize and rest_framework; rest_framework.authtoken is the recipe's authentication;
# django_cleanup is the docs' recommended companion. Teams mode would pull in pinax-teams,
# which the recipe does not include: it is off (HELPDESK_TEAMS_MODE_ENABLED below).
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_cleanup.apps.CleanupConfig",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": unquote(_database.username or ""),
        "PASSWORD": unquote(_database.password or ""),
        "HOST": _database.hostname or "127.0.0.1",
        "PORT": str(_database.port or 5432),
        "CONN_MAX_AGE": 600,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
}

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
SERVER_EMAIL = "helpdesk@example.com"

SITE_ID = 1
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ["HELPDESK_PEER_MEDIA_ROOT"]

# With DEBUG off Django would mail a 500's traceback to ADMINS (nobody): write it to
# gunicorn's error log instead, so a failing peer can be diagnosed from its log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "helpdesk": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
