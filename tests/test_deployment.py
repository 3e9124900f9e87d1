"""The deployment description: Dockerfile, compose.yaml, Caddyfile, Keycloak realm.

No image is pulled or built here and no container runs (this machine has no Docker
daemon and no registry of images): what can be checked without them is. The compose file
is validated and interpolated by ``docker-compose config`` (Debian's docker-compose,
installed by the Makefile; it needs no daemon); the realm file is checked against the
field names of Keycloak's representation classes; the settings the stack gives the app
are loaded by Django's own ``check --deploy``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
DOCKERFILE = ROOT / "Dockerfile"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
REALM = ROOT / "docs" / "keycloak" / "realm.json"
SETTINGS = ROOT / "nomad_web" / "settings.py"
NOMAD_IMAGE = "nomad-web:latest"

# --- compose.yaml, as Compose itself reads it --------------------------------------------


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$\$")


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, for when the binary is absent."""
    if isinstance(value, dict):
        return {key: _interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        current = env.get(name)
        if op in (":-", "-"):
            return current if current else arg
        if op in (":?", "?") and not current:
            raise ValueError(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(replace, value)


def _docker_compose() -> str | None:
    return shutil.which("docker-compose")


def _compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    binary = _docker_compose()
    assert binary
    return subprocess.run(
        [
            binary,
            *("--project-directory", str(ROOT)),
            *("-f", str(COMPOSE)),
            *("--env-file", str(env_file)),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        # Only PATH: no variable of this shell leaks into the interpolation.
        env={"PATH": os.environ["PATH"]},
    )


@cache
def compose() -> dict[str, Any]:
    """compose.yaml with deploy/env.example's values, merged and interpolated."""
    if _docker_compose():
        result = _compose_config(ENV_EXAMPLE)
        assert result.returncode == 0, result.stderr
        config: dict[str, Any] = yaml.safe_load(result.stdout)
        return config
    raw = yaml.safe_load(COMPOSE.read_text())
    interpolated: dict[str, Any] = _interpolate(raw, _env_file(ENV_EXAMPLE))
    return interpolated


def services() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def nomad_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if s.get("image") == NOMAD_IMAGE}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def mount_targets(service: dict[str, Any]) -> dict[str, str]:
    """Container path → source (volume name or host path) of each mount."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        mounts[target] = source
    return mounts


@pytest.mark.skipif(not _docker_compose(), reason="docker-compose is not installed")
def test_docker_compose_config_validates_the_file():
    result = _compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert set(yaml.safe_load(result.stdout)["services"]) == set(
        yaml.safe_load(COMPOSE.read_text())["services"]
    )


@pytest.mark.skipif(not _docker_compose(), reason="docker-compose is not installed")
def test_compose_refuses_to_start_without_the_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _compose_config(empty)
    assert result.returncode != 0
    assert "set " in result.stderr and "in .env" in result.stderr


def test_every_secret_of_env_example_is_a_placeholder():
    values = _env_file(ENV_EXAMPLE)
    for name in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "KEYCLOAK_DB_PASSWORD",
        "REDIS_PASSWORD",
        "KEYCLOAK_ADMIN_PASSWORD",
        "OIDC_RP_CLIENT_SECRET",
        "MINIO_ROOT_PASSWORD",
        "S3_SECRET_ACCESS_KEY",
        "METRICS_TOKEN",
    ):
        assert values[name].startswith("change-me"), name
    raw = COMPOSE.read_text()
    # Every one of them is required by compose (no default that could go to production).
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "OIDC_RP_CLIENT_SECRET"):
        assert re.search(r"\$\{" + name + r":\?", raw), name


# --- What the README lists, the web nodes, the proxy ------------------------------------


def _container_port(port: Any) -> str:
    # "80:80" in the file, {"published": 80, "target": 80} once Compose has read it.
    return str(port["target"]) if isinstance(port, dict) else str(port).split(":")[-1]


def _readme_deployment_services() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Deployment\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("| service |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", table, flags=re.MULTILINE))


def test_every_service_the_readme_lists_is_in_the_compose_file_and_back():
    listed = _readme_deployment_services()
    assert listed, "README's Deployment section lists no service"
    assert listed == set(services())


def test_compose_runs_every_component_of_the_readme():
    commands = {name: " ".join(map(str, s.get("command") or [])) for name, s in services().items()}
    for expected in (
        "celery -A nomad_web worker",
        "celery -A nomad_web beat",
        "manage.py relay_outbox",
        "manage.py consume_backoffice",
        "manage.py legacy_simulator",
        "manage.py migrate",
    ):
        assert any(expected in command for command in commands.values()), expected
    for infrastructure in ("postgres", "redis", "kafka", "keycloak", "minio", "proxy"):
        assert infrastructure in services()


def test_both_web_nodes_run_the_same_image_and_settings_behind_the_proxy():
    web1, web2 = services()["web1"], services()["web2"]
    assert web1["image"] == web2["image"] == NOMAD_IMAGE
    assert environment(web1) == environment(web2)
    assert web1.get("command") == web2.get("command")
    # Only the proxy is reachable from outside.
    assert not web1.get("ports") and not web2.get("ports")
    proxy = services()["proxy"]
    assert {"web1", "web2"} <= set(depends_on(proxy))
    assert {_container_port(port) for port in proxy["ports"]} == {"80", "443"}
    upstreams = re.search(r"reverse_proxy (web\S+ web\S+) \{", CADDYFILE.read_text())
    assert upstreams is not None
    assert set(upstreams.group(1).split()) == {"web1:8000", "web2:8000"}
    assert "deploy/Caddyfile" in " ".join(map(str, proxy["volumes"]))


def test_the_proxy_checks_readiness_with_a_host_the_nodes_accept():
    caddy = CADDYFILE.read_text()
    assert "health_uri /healthz/ready" in caddy
    assert re.search(r"health_headers \{\s*Host \{\$NOMAD_HOST\}\s*X-Forwarded-Proto https", caddy)
    host = environment(services()["proxy"])["NOMAD_HOST"]
    assert host in environment(services()["web1"])["ALLOWED_HOSTS"].split(",")
    assert re.search(r"^\{\$NOMAD_HOST\} \{", caddy, flags=re.MULTILINE)
    # The client's address: one proxy in front of the nodes.
    assert environment(services()["web1"])["NOMAD_TRUSTED_PROXIES"] == "1"


def test_the_nodes_wait_for_the_migrations():
    assert services()["migrate"]["image"] == NOMAD_IMAGE
    assert services()["migrate"].get("restart") == "no"
    for name in ("web1", "web2", "worker", "beat", "relay", "consumer"):
        assert depends_on(services()[name]).get("migrate") == "service_completed_successfully"


# --- The environment the app reads ---------------------------------------------------------

# Not read by settings.py: prometheus_client's own (and nomad_web/gunicorn_conf.py's).
NAMES_READ_OUTSIDE_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR"}


def settings_names() -> set[str]:
    return set(re.findall(r"\benv(?:_bool|_list)?\(\s*\"([A-Z0-9_]+)\"", SETTINGS.read_text()))


def settings_default(name: str) -> str:
    match = re.search(r"\benv\(\"" + name + r"\", \"([^\"]*)\"\)", SETTINGS.read_text())
    assert match, name
    return match.group(1)


def test_settings_names_are_found():
    names = settings_names()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "OIDC_RP_CLIENT_SECRET"} <= names
    assert "DEBUG" in names  # env_bool
    assert "ALLOWED_HOSTS" in names  # env_list


def test_every_variable_given_to_the_app_is_one_it_reads():
    known = settings_names() | NAMES_READ_OUTSIDE_SETTINGS
    assert nomad_services()
    for name, service in nomad_services().items():
        unknown = set(environment(service)) - known
        assert not unknown, f"{name}: {sorted(unknown)}"


def test_the_stack_satisfies_production_settings(tmp_path):
    """Django's deployment checks pass with exactly what compose gives a web node (and a
    real secret, as .env must hold)."""
    env = environment(services()["web1"])
    assert env["NOMAD_ENV"] == "production"
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        NOMAD_SEAL_DIR=str(tmp_path / "seal"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DOCUMENTS_ROOT=str(tmp_path / "documents"),
        DJANGO_SETTINGS_MODULE="nomad_web.settings",
        PATH=os.environ["PATH"],
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _dockerfile_env() -> dict[str, str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            values.update(re.findall(r"(\w+)=(\S+)", line))
    return values


def test_what_production_needs_on_disk_is_mounted():
    image_env = _dockerfile_env()
    seal = image_env["NOMAD_SEAL_DIR"]
    # The seals (never generated in production) reach every process that seals; uploads
    # and documents are in the bucket, so no process shares a files volume.
    for name in ("web1", "web2", "worker"):
        mounts = mount_targets(services()[name])
        assert mounts.get(seal, "").endswith("deploy/seal"), name
        assert environment(services()[name])["DOCUMENTS_STORAGE"] == "s3", name
    for name, service in services().items():
        assert image_env["MEDIA_ROOT"] not in mount_targets(service), name
    assert "/media/" not in CADDYFILE.read_text()
    # Each node's metrics directory lives in memory, empty at every start.
    for name in ("web1", "web2"):
        multiproc = environment(services()[name])["PROMETHEUS_MULTIPROC_DIR"]
        assert any(str(t).startswith(multiproc) for t in services()[name]["tmpfs"])
    beat_schedule = " ".join(services()["beat"]["command"])
    assert "--schedule=/srv/nomad/beat/" in beat_schedule
    assert "/srv/nomad/beat" in mount_targets(services()["beat"])


# --- Images: pinned, non-root, static files at build ---------------------------------------

# major.minor.patch, or MinIO's dated releases; PostgreSQL numbers its releases
# major.minor since version 10, so 17.6 is one exact release.
_EXACT_TAG = re.compile(
    r"^(postgres:\d+\.\d+-[\w.-]+|[\w./-]+:(\d+\.\d+\.\d+[\w.-]*|RELEASE\.[\dT-]+Z))$"
)


def test_every_image_of_the_stack_is_pinned_to_an_exact_version():
    for name, service in services().items():
        if service.get("image") == NOMAD_IMAGE:
            assert "build" in service, name
            continue
        assert _EXACT_TAG.match(service["image"]), f"{name}: {service['image']}"


def _dockerfile_stages() -> list[tuple[str, list[str]]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))
    stages: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("FROM "):
            image = line.split()[1]
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
            stages.append((image, []))
        elif stages and line.strip() and not line.startswith("#"):
            stages[-1][1].append(line)
    return stages


def test_the_dockerfile_pins_every_base_image():
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "multi-stage"
    for image, _ in stages:
        assert _EXACT_TAG.match(image), image
    assert re.match(r"python:3\.11\.\d+-slim-bookworm$", stages[-1][0])


def test_the_image_runs_as_a_user_without_privileges():
    _, runtime = _dockerfile_stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users, "no USER in the runtime stage"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert any("useradd" in line and "--uid 10001" in line for line in runtime)


def test_the_image_collects_static_files_and_translations_at_build():
    stages = _dockerfile_stages()
    runs = " ".join(line for _, lines in stages for line in lines if line.startswith("RUN "))
    assert "manage.py collectstatic --noinput" in runs
    assert "manage.py compilemessages" in runs
    # static/vendor comes from npm through the Makefile's own rule, in a node stage.
    assert any(image.startswith("node:") for image, _ in stages)
    assert (
        "make vendor" in runs
        and "vendor: $(VENDOR) $(PRECOMPILED)" in (ROOT / "Makefile").read_text()
    )
    _, runtime = stages[-1]
    assert any(line.startswith("COPY --from=build") and "/app" in line for line in runtime)
    # The compilers stay in the build stage.
    assert not any("build-essential" in line for line in runtime)


def test_the_runtime_has_the_libraries_weasyprint_opens_and_serves_with_gunicorn():
    _, runtime = _dockerfile_stages()[-1]
    text = " ".join(runtime)
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-"):
        assert package in text, package
    assert any(line.startswith("HEALTHCHECK") for line in runtime)
    assert "/healthz/live" in text
    cmd = next(line for line in runtime if line.startswith("CMD "))
    assert json.loads(cmd[4:])[0] == "gunicorn"
    assert (ROOT / "deploy" / "gunicorn_config.py").is_file()


def test_the_build_context_leaves_secrets_and_local_files_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for path in (".git", ".venv", "node_modules", "private", "media", ".env", "deploy/seal"):
        assert path in ignored, path


# --- The Keycloak realm ---------------------------------------------------------------------

# Field names of Keycloak's representation classes (package org.keycloak.representations.idm,
# keycloak/keycloak core/): RealmRepresentation, ClientRepresentation,
# ProtocolMapperRepresentation, RolesRepresentation, RoleRepresentation (and its
# Composites), ComponentExportRepresentation. Only these are read by an import.
REALM_FIELDS = {
    "id", "realm", "displayName", "displayNameHtml", "notBefore", "defaultSignatureAlgorithm",
    "revokeRefreshToken", "refreshTokenMaxReuse", "accessTokenLifespan",
    "accessTokenLifespanForImplicitFlow", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan",
    "ssoSessionIdleTimeoutRememberMe", "ssoSessionMaxLifespanRememberMe",
    "offlineSessionIdleTimeout", "offlineSessionMaxLifespanEnabled", "offlineSessionMaxLifespan",
    "clientSessionIdleTimeout", "clientSessionMaxLifespan", "clientOfflineSessionIdleTimeout",
    "clientOfflineSessionMaxLifespan", "accessCodeLifespan", "accessCodeLifespanUserAction",
    "accessCodeLifespanLogin", "actionTokenGeneratedByAdminLifespan",
    "actionTokenGeneratedByUserLifespan", "oauth2DeviceCodeLifespan",
    "oauth2DevicePollingInterval", "enabled", "sslRequired", "registrationAllowed",
    "registrationEmailAsUsername", "rememberMe", "verifyEmail", "loginWithEmailAllowed",
    "duplicateEmailsAllowed", "resetPasswordAllowed", "editUsernameAllowed",
    "bruteForceProtected", "permanentLockout", "maxTemporaryLockouts", "bruteForceStrategy",
    "maxFailureWaitSeconds", "minimumQuickLoginWaitSeconds", "waitIncrementSeconds",
    "quickLoginCheckMilliSeconds", "maxDeltaTimeSeconds", "failureFactor", "roles", "groups",
    "defaultRole", "defaultGroups", "passwordPolicy", "otpPolicyType", "otpPolicyAlgorithm",
    "otpPolicyInitialCounter", "otpPolicyDigits", "otpPolicyLookAheadWindow",
    "otpPolicyPeriod", "otpPolicyCodeReusable", "otpSupportedApplications",
    "localizationTexts", "users", "federatedUsers", "scopeMappings", "clientScopeMappings",
    "clients", "clientScopes", "defaultDefaultClientScopes", "defaultOptionalClientScopes",
    "browserSecurityHeaders", "smtpServer", "loginTheme", "accountTheme", "adminTheme",
    "emailTheme", "eventsEnabled", "eventsExpiration", "eventsListeners", "enabledEventTypes",
    "adminEventsEnabled", "adminEventsDetailsEnabled", "identityProviders",
    "identityProviderMappers", "protocolMappers", "components", "internationalizationEnabled",
    "supportedLocales", "defaultLocale", "authenticationFlows", "authenticatorConfig",
    "requiredActions", "browserFlow", "registrationFlow", "directGrantFlow",
    "resetCredentialsFlow", "clientAuthenticationFlow", "dockerAuthenticationFlow",
    "firstBrokerLoginFlow", "attributes", "keycloakVersion", "userManagedAccessAllowed",
    "organizationsEnabled", "organizations", "adminPermissionsEnabled",
}  # fmt: skip
CLIENT_FIELDS = {
    "id", "clientId", "name", "description", "rootUrl", "adminUrl", "baseUrl",
    "surrogateAuthRequired", "enabled", "clientAuthenticatorType", "secret",
    "registrationAccessToken", "redirectUris", "webOrigins", "notBefore", "bearerOnly",
    "consentRequired", "standardFlowEnabled", "implicitFlowEnabled",
    "directAccessGrantsEnabled", "serviceAccountsEnabled", "authorizationServicesEnabled",
    "publicClient", "frontchannelLogout", "protocol", "attributes", "fullScopeAllowed",
    "nodeReRegistrationTimeout", "registeredNodes", "protocolMappers", "authorizationSettings",
}  # fmt: skip
PROTOCOL_MAPPER_FIELDS = {
    "id", "name", "protocol", "protocolMapper", "consentRequired", "consentText", "config",
}  # fmt: skip
ROLES_FIELDS = {"realm", "client"}
ROLE_FIELDS = {"id", "name", "description", "composite", "composites", "clientRole",
               "containerId", "attributes"}  # fmt: skip
COMPONENT_FIELDS = {"id", "name", "providerId", "subType", "subComponents", "config"}
# Keys of a mapper's config that the OpenID Connect mappers read (OIDCAttributeMapperHelper
# and ProtocolMapperUtils, keycloak/keycloak services/).
MAPPER_CONFIG_KEYS = {
    "claim.name", "jsonType.label", "multivalued", "id.token.claim", "access.token.claim",
    "userinfo.token.claim", "introspection.token.claim", "lightweight.claim",
    "user.attribute", "aggregate.attrs", "usermodel.realmRoleMapping.rolePrefix",
}  # fmt: skip
# Client attributes Keycloak's admin console and OIDC client configuration write
# (OIDCConfigAttributes and OIDCAdvancedConfigWrapper).
CLIENT_ATTRIBUTE_KEYS = {
    "pkce.code.challenge.method", "post.logout.redirect.uris", "id.token.signed.response.alg",
    "oauth2.device.authorization.grant.enabled", "backchannel.logout.session.required",
    "backchannel.logout.url", "use.refresh.tokens", "access.token.lifespan",
}  # fmt: skip
# The declarative user profile (org.keycloak.representations.userprofile.config: UPConfig,
# UPAttribute, UPAttributePermissions, UPAttributeRequired, UPGroup).
UP_CONFIG_FIELDS = {"attributes", "groups", "unmanagedAttributePolicy"}
UP_ATTRIBUTE_FIELDS = {
    "name", "displayName", "validations", "annotations", "required", "permissions",
    "selector", "group", "multivalued", "defaultValue",
}  # fmt: skip
UP_GROUP_FIELDS = {"name", "displayHeader", "displayDescription", "annotations"}


def realm() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REALM.read_text())
    return data


def resolved_realm() -> dict[str, Any]:
    """The realm as Keycloak imports it: ${NAME} from the keycloak service's environment."""
    env = environment(services()["keycloak"])
    text = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], REALM.read_text())
    data: dict[str, Any] = json.loads(text)
    return data


def client() -> dict[str, Any]:
    (nomad_web,) = (c for c in resolved_realm()["clients"] if c["clientId"] == "nomad-web")
    return nomad_web


def user_profile() -> dict[str, Any]:
    (component,) = realm()["components"]["org.keycloak.userprofile.UserProfileProvider"]
    (config,) = component["config"]["kc.user.profile.config"]
    data: dict[str, Any] = json.loads(config)
    return data


def test_the_realm_uses_only_keycloak_field_names():
    data = realm()
    assert set(data) <= REALM_FIELDS, set(data) - REALM_FIELDS
    assert set(data["roles"]) <= ROLES_FIELDS
    for role in data["roles"]["realm"]:
        assert set(role) <= ROLE_FIELDS, role
    for item in data["clients"]:
        assert set(item) <= CLIENT_FIELDS, set(item) - CLIENT_FIELDS
        assert set(item.get("attributes", {})) <= CLIENT_ATTRIBUTE_KEYS
        for mapper in item.get("protocolMappers", []):
            assert set(mapper) <= PROTOCOL_MAPPER_FIELDS, mapper["name"]
            assert set(mapper["config"]) <= MAPPER_CONFIG_KEYS, mapper["name"]
            # Keycloak's config maps hold strings only.
            assert all(isinstance(v, str) for v in mapper["config"].values()), mapper["name"]
    for components in data["components"].values():
        for component in components:
            assert set(component) <= COMPONENT_FIELDS
            assert all(isinstance(v, list) for v in component["config"].values())
    profile = user_profile()
    assert set(profile) <= UP_CONFIG_FIELDS
    for attribute in profile["attributes"]:
        assert set(attribute) <= UP_ATTRIBUTE_FIELDS, attribute["name"]
    for group in profile["groups"]:
        assert set(group) <= UP_GROUP_FIELDS
    assert {a.get("group") for a in profile["attributes"]} - {None} <= {
        g["name"] for g in profile["groups"]
    }


def test_the_realm_holds_no_secret_and_no_user():
    data = realm()
    assert "users" not in data
    (nomad_web,) = data["clients"]
    assert re.fullmatch(r"\$\{\w+\}", nomad_web["secret"])
    # The secret Keycloak imports is the one the web nodes send.
    assert client()["secret"] == environment(services()["web1"])["OIDC_RP_CLIENT_SECRET"]


def test_the_client_is_confidential_with_standard_flow_and_pkce_only():
    nomad_web = client()
    assert nomad_web["clientId"] == environment(services()["web1"])["OIDC_RP_CLIENT_ID"]
    assert nomad_web["publicClient"] is False
    assert nomad_web["clientAuthenticatorType"] == "client-secret"
    assert nomad_web["standardFlowEnabled"] is True
    for other in ("implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled"):
        assert nomad_web[other] is False, other
    assert nomad_web["frontchannelLogout"] is False
    assert nomad_web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert re.search(r'OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"', SETTINGS.read_text())


def test_the_redirect_uris_are_the_proxy_hosts():
    host = environment(services()["proxy"])["NOMAD_HOST"]
    nomad_web = client()
    assert nomad_web["redirectUris"] == [f"https://{host}{reverse('oidc_authentication_callback')}"]
    assert nomad_web["attributes"]["post.logout.redirect.uris"] == (
        f"https://{host}{reverse('account_login')}"
    )
    assert nomad_web["webOrigins"] == [f"https://{host}"]
    # Keycloak's public name is the proxy's second site, the one the nodes send browsers to.
    keycloak_url = environment(services()["keycloak"])["KC_HOSTNAME"]
    assert keycloak_url == f"https://sso.{host}"
    assert "sso.{$NOMAD_HOST} {" in CADDYFILE.read_text()
    web = environment(services()["web1"])
    assert web["OIDC_OP_AUTHORIZATION_ENDPOINT"].startswith(f"{keycloak_url}/realms/nomad/")
    assert web["OIDC_OP_LOGOUT_ENDPOINT"].startswith(f"{keycloak_url}/realms/nomad/")


def test_the_realm_roles_are_the_apps_defaults():
    defaults = {
        settings_default(name)
        for name in ("OIDC_ROLE_ADVISOR", "OIDC_ROLE_MANAGER", "OIDC_ROLE_STAFF")
    }
    assert {role["name"] for role in realm()["roles"]["realm"]} == defaults
    for service in nomad_services().values():
        assert not {"OIDC_ROLE_ADVISOR", "OIDC_ROLE_MANAGER", "OIDC_ROLE_STAFF"} & set(
            environment(service)
        )
    # The roles reach the ID token, where organisation/oidc.py reads realm_access.roles.
    (roles_mapper,) = (
        m
        for m in client()["protocolMappers"]
        if m["protocolMapper"] == "oidc-usermodel-realm-role-mapper"
    )
    assert roles_mapper["config"]["claim.name"] == "realm_access.roles"
    assert roles_mapper["config"]["id.token.claim"] == "true"
    assert 'claims.get("realm_access")' in (ROOT / "organisation" / "oidc.py").read_text()


def test_the_agency_mapper_fills_the_claim_the_app_reads():
    claim = settings_default("OIDC_AGENCY_CLAIM")
    assert "settings.OIDC_AGENCY_CLAIM" in (ROOT / "organisation" / "oidc.py").read_text()
    (mapper,) = (
        m
        for m in client()["protocolMappers"]
        if m["protocolMapper"] == "oidc-usermodel-attribute-mapper"
    )
    config = mapper["config"]
    assert config["claim.name"] == claim
    assert config["multivalued"] == "true"
    assert config["id.token.claim"] == config["userinfo.token.claim"] == "true"
    assert config["jsonType.label"] == "String"
    # The user attribute exists in the realm's user profile (Keycloak drops undeclared
    # attributes), multivalued, and only administrators may change it.
    (attribute,) = (
        a for a in user_profile()["attributes"] if a["name"] == config["user.attribute"]
    )
    assert attribute["multivalued"] is True
    assert attribute["permissions"]["edit"] == ["admin"]
    for service in nomad_services().values():
        assert environment(service).get("OIDC_AGENCY_CLAIM", claim) == claim


def test_keycloak_imports_the_realm_file():
    keycloak = services()["keycloak"]
    assert "--import-realm" in keycloak["command"]
    mounts = mount_targets(keycloak)
    (target,) = (t for t, source in mounts.items() if source.endswith("docs/keycloak/realm.json"))
    assert target.startswith("/opt/keycloak/data/import/") and target.endswith(".json")
    placeholders = set(re.findall(r"\$\{(\w+)\}", REALM.read_text()))
    assert placeholders <= set(environment(keycloak))
