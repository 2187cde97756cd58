"""Settings, read from the environment in one place.

Every variable is documented in README.md ("Configuración"). Defaults suit
development on one machine; production refuses to start without a real secret.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - refused in production by check()
DEFAULT_OIDC_SECRET = "ventanilla-dev-secret"  # noqa: S105 - the local idp's; refused in production
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised when the portal must not start with the given settings."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "si", "sí", "on"}


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} debe ser un número entero, no {raw!r}") from exc


def from_env(env: dict | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("INSTANCE_PATH") or ROOT / "instance")
    production = env.get("PORTAL_ENV", "development") == "production"
    port = env.get("PORT", "5000")
    base_url = env.get("PORTAL_BASE_URL", f"http://127.0.0.1:{port}")
    idp_url = env.get("OIDC_ISSUER", "http://127.0.0.1:9000")
    return {
        "PORTAL_ENV": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET),
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance / 'portal.db'}"),
        "DATABASE_POOL_SIZE": _int(env, "DATABASE_POOL_SIZE", 10),
        "PAGE_CACHE_SECONDS": _int(env, "PAGE_CACHE_SECONDS", 10),
        "PORTAL_BASE_URL": base_url.rstrip("/"),
        "STATE_CODE": env.get("STATE_CODE", "22"),
        # Who publishes a program's drafts (portal/catalog/versions.py): "supervisor"
        # of the program's agency; the secretariat's validation plugs in later.
        "PROGRAM_REVIEWER": env.get("PROGRAM_REVIEWER", "supervisor"),
        "STATE_NAME": env.get("STATE_NAME", "Querétaro"),
        "FOLIO_PREFIX": env.get("FOLIO_PREFIX", "QRO"),
        "STORAGE_PATH": env.get("STORAGE_PATH", str(instance / "documentos")),
        "STORAGE_KEYS": env.get("STORAGE_KEYS", ""),
        "MAX_UPLOAD_MB": _int(env, "MAX_UPLOAD_MB", 5),
        # Upload limits: versions kept per requirement, megabytes kept per
        # application and per person, and how old a crash's leftovers must be
        # before the storage sweep deletes them.
        "MAX_VERSIONS_PER_REQUIREMENT": _int(env, "MAX_VERSIONS_PER_REQUIREMENT", 5),
        "MAX_APPLICATION_UPLOAD_MB": _int(env, "MAX_APPLICATION_UPLOAD_MB", 30),
        "MAX_CITIZEN_UPLOAD_MB": _int(env, "MAX_CITIZEN_UPLOAD_MB", 80),
        "STORAGE_SWEEP_GRACE_MINUTES": _int(env, "STORAGE_SWEEP_GRACE_MINUTES", 60),
        "CREDENTIAL_PRIVATE_KEY": env.get("CREDENTIAL_PRIVATE_KEY", ""),
        "AUDIT_SIGNING_KEY": env.get("AUDIT_SIGNING_KEY", ""),
        "AUDIT_CHECKPOINT_PATH": env.get("AUDIT_CHECKPOINT_PATH", ""),
        "OIDC_ISSUER": idp_url.rstrip("/"),
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID", "ventanilla"),
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET", DEFAULT_OIDC_SECRET),
        "OIDC_REDIRECT_URI": env.get("OIDC_REDIRECT_URI", f"{base_url.rstrip('/')}/auth/callback"),
        "OIDC_TOKEN_AUTH_METHOD": env.get("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
        "OIDC_PRIVATE_KEY_FILE": env.get("OIDC_PRIVATE_KEY_FILE", ""),
        "OIDC_SCOPES": env.get("OIDC_SCOPES", "openid profile email"),
        "OIDC_CLAIM_CURP": env.get("OIDC_CLAIM_CURP", "curp"),
        "OIDC_CLAIM_GIVEN_NAME": env.get("OIDC_CLAIM_GIVEN_NAME", "given_name"),
        "OIDC_CLAIM_FAMILY_NAME": env.get("OIDC_CLAIM_FAMILY_NAME", "family_name"),
        "OIDC_CLAIM_SECOND_FAMILY_NAME": env.get(
            "OIDC_CLAIM_SECOND_FAMILY_NAME", "second_family_name"
        ),
        "OIDC_CLAIM_BIRTHDATE": env.get("OIDC_CLAIM_BIRTHDATE", "birthdate"),
        "OIDC_CLAIM_SEX": env.get("OIDC_CLAIM_SEX", "sex"),
        "MAIL_HOST": env.get("MAIL_HOST", "127.0.0.1"),
        "MAIL_PORT": _int(env, "MAIL_PORT", 8025),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_FROM": env.get("MAIL_FROM", "Ventanilla Única <avisos@ventanilla.example.org>"),
        "SMS_BACKEND": env.get("SMS_BACKEND", "log"),
        # SMS over SMPP (SMS_BACKEND=smpp; docs/sms.md): the SMSC of the carrier or
        # aggregator, the account it gave, the short code or number we send from.
        "SMPP_HOST": env.get("SMPP_HOST", "127.0.0.1"),
        "SMPP_PORT": _int(env, "SMPP_PORT", 2775),
        "SMPP_SYSTEM_ID": env.get("SMPP_SYSTEM_ID", ""),
        "SMPP_PASSWORD": env.get("SMPP_PASSWORD", ""),
        "SMPP_SYSTEM_TYPE": env.get("SMPP_SYSTEM_TYPE", ""),
        "SMPP_SOURCE_ADDR": env.get("SMPP_SOURCE_ADDR", ""),
        # 3 and 0: a short code (network specific, unknown plan); 1 and 1 for a long number.
        "SMPP_SOURCE_TON": _int(env, "SMPP_SOURCE_TON", 3),
        "SMPP_SOURCE_NPI": _int(env, "SMPP_SOURCE_NPI", 0),
        "SMPP_TIMEOUT": _int(env, "SMPP_TIMEOUT", 10),
        # SMS per number per day (notices and answers), and questions answered per number.
        "SMS_DAILY_CAP": _int(env, "SMS_DAILY_CAP", 10),
        "SMS_QUESTIONS_DAILY_CAP": _int(env, "SMS_QUESTIONS_DAILY_CAP", 5),
        # Empty: a SQLite file in the instance folder (see portal/web/queue.py).
        "QUEUE_URL": env.get("QUEUE_URL", ""),
        "KIOSK_MODE": _bool(env.get("KIOSK_MODE")),
        "CITIZEN_IDLE_MINUTES": _int(env, "CITIZEN_IDLE_MINUTES", 15),
        "STAFF_IDLE_MINUTES": _int(env, "STAFF_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int(env, "SESSION_ABSOLUTE_HOURS", 12),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # The legend the law requires on social-program material (portal/rights/legend.py);
        # empty: the federal wording, translated in English pages.
        "LEGAL_LEGEND": env.get("LEGAL_LEGEND", "").strip(),
        # Rate limits and proxies (portal/web/limits.py; README "Rate limits and trusted
        # proxies"). Production refuses memory:// and an empty storage: use Redis.
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URL": env.get(
            "RATELIMIT_STORAGE_URL", "" if production else "memory://"
        ),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
    }


def _secret_key(config: dict) -> list[str]:
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_LENGTH:
        return [
            f"SECRET_KEY falta, es la de ejemplo o es demasiado corta "
            f"(mínimo {MIN_SECRET_LENGTH} caracteres)."
        ]
    return []


def _base_url(config: dict) -> list[str]:
    if not str(config.get("PORTAL_BASE_URL", "")).startswith("https://"):
        return ["PORTAL_BASE_URL debe usar https://."]
    return []


def _digital_id(config: dict) -> list[str]:
    problems = []
    if not str(config.get("OIDC_ISSUER", "")).startswith("https://"):
        problems.append("OIDC_ISSUER debe usar https:// (el proveedor de la Llave Digital).")
    if config.get("OIDC_TOKEN_AUTH_METHOD") != "private_key_jwt":
        secret = config.get("OIDC_CLIENT_SECRET") or ""
        if secret == DEFAULT_OIDC_SECRET or not secret:
            problems.append(
                "OIDC_CLIENT_SECRET falta o es la de desarrollo (la del proveedor local idp/)."
            )
    if not str(config.get("OIDC_REDIRECT_URI", "")).startswith("https://"):
        problems.append("OIDC_REDIRECT_URI debe usar https://.")
    return problems


def rate_limit_storage_problems(config: dict) -> list[str]:
    url = str(config.get("RATELIMIT_STORAGE_URL") or "")
    if config.get("RATELIMIT_ENABLED", True) and (not url or url.startswith("memory://")):
        return [
            "RATELIMIT_STORAGE_URL falta o es memory://: en producción los límites de "
            "intentos deben guardarse donde todos los procesos los compartan "
            "(por ejemplo redis://127.0.0.1:6379/0)."
        ]
    return []


def _audit_signing_key(config: dict) -> list[str]:
    if not str(config.get("AUDIT_SIGNING_KEY") or "").strip():
        return [
            "AUDIT_SIGNING_KEY falta: los puntos de control de la bitácora se firman "
            "con una llave Ed25519 configurada (flask --app wsgi audit checkpoint)."
        ]
    return []


def _sms(config: dict) -> list[str]:
    if config.get("SMS_BACKEND", "log") not in ("log", "smpp"):
        return ["SMS_BACKEND debe ser log o smpp (docs/sms.md)."]
    if config.get("SMS_BACKEND") != "smpp":
        return []
    missing = [
        name
        for name in ("SMPP_HOST", "SMPP_SYSTEM_ID", "SMPP_PASSWORD", "SMPP_SOURCE_ADDR")
        if not str(config.get(name) or "").strip()
    ]
    if missing:
        return [
            f"Con SMS_BACKEND=smpp faltan {', '.join(missing)}: los datos de la cuenta "
            "que da el agregador de SMS (docs/sms.md)."
        ]
    return []


# Each check takes the config and returns what is wrong with it, in Spanish,
# naming the setting. Areas with settings of their own append their checks
# here (before create_app runs), e.g. the rate limits' shared storage.
PRODUCTION_CHECKS: list[Callable[[dict], list[str]]] = [
    _secret_key,
    _base_url,
    _digital_id,
    rate_limit_storage_problems,
    _audit_signing_key,
    _sms,
]


def problems(config: dict) -> list[str]:
    """Every unsafe production setting, one message each (none outside production)."""
    if config.get("PORTAL_ENV") != "production":
        return []
    return [problem for check_ in PRODUCTION_CHECKS for problem in check_(config)]


def check(config: dict) -> None:
    """Refuse to start in production with unsafe settings, naming every one."""
    found = problems(config)
    if found:
        raise ConfigError(
            "El portal no arranca en producción con estos ajustes:\n"
            + "\n".join(f"- {problem}" for problem in found)
        )


# Files and folders the portal creates: readable by its own user only.
PRIVATE_UMASK = 0o077


def protect_data_files(config: dict) -> None:
    """In production, data files are created 0600 and folders 0700.

    The umask covers everything the process creates from now on (the SQLite
    database and its -wal/-shm files, the queue, stored documents, keys,
    checkpoints); files that already exist directly in the instance folder lose any
    group or world access here.
    """
    if config.get("PORTAL_ENV") != "production":
        return
    os.umask(PRIVATE_UMASK)
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    paths = [instance, *instance.iterdir()]
    database_url = str(config.get("DATABASE_URL", ""))
    if database_url.startswith("sqlite:///"):
        database = Path(database_url[len("sqlite:///") :])
        paths += [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    for path in paths:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:
            continue
        if path.is_symlink() or not mode & 0o077:
            continue
        path.chmod(mode & 0o700)


def development_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in ``path``, made by ``make()`` the first time.

    For development and tests only (production takes its secrets from the
    configuration). The new secret is written whole to a private temporary
    file and then hard-linked into place, so two workers or threads starting
    together agree on the first one published and none ever reads a file
    still being written.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(make())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another worker published first: its secret is the one kept
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text()
