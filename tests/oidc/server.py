"""Runs tests/oidc/provider.mjs (npm "oidc-provider") as a subprocess for one test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import requests

PROVIDER_SCRIPT = Path(__file__).resolve().parent / "provider.mjs"
ROOT = PROVIDER_SCRIPT.parents[2]
CLIENT_ID = "nomad-web"
CLIENT_SECRET = "test-client-secret-not-for-production"


def keycloak_claims(
    *, email: str, roles: list[str], agencies: list[str], given: str = "Camille"
) -> dict[str, Any]:
    """Claims shaped as Keycloak sends them: realm roles and a mapped agency attribute."""
    return {
        "email": email,
        "email_verified": True,
        "given_name": given,
        "family_name": "Martin",
        "name": f"{given} Martin",
        "realm_access": {"roles": [*roles, "offline_access", "default-roles-nomad"]},
        "nomad_agencies": agencies,
    }


class TestProvider:
    """A loopback OpenID Connect provider whose accounts the test can rewrite at any time."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, *, app_url: str, accounts_file: Path) -> None:
        self.app_url = app_url.rstrip("/")
        self.accounts_file = accounts_file
        self.issuer = ""
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        # The provider reads this file again on every request.
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(accounts))
        tmp.replace(self.accounts_file)

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the OpenID Connect provider tests.")
        if not (ROOT / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("npm packages missing: run `make test` (npm ci).")
        if not self.accounts_file.exists():
            self.set_accounts({})
        self._log = (self.accounts_file.parent / "provider.log").open("w")
        env = {
            **os.environ,
            "OIDC_TEST_CLIENT_ID": CLIENT_ID,
            "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_TEST_REDIRECT_URI": f"{self.app_url}/oidc/callback/",
            "OIDC_TEST_POST_LOGOUT_URI": f"{self.app_url}/accounts/login/",
            "OIDC_TEST_ACCOUNTS": str(self.accounts_file),
            "OIDC_TEST_AGENCY_CLAIM": "nomad_agencies",
        }
        self._process = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"The provider did not start: {self.log()}")
        self.issuer = json.loads(line)["issuer"]
        self._wait_for_discovery()

    def _wait_for_discovery(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                response = requests.get(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=2
                )
                if response.ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"No discovery document at {self.issuer}: {self.log()}")

    def log(self) -> str:
        path = self.accounts_file.parent / "provider.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def django_settings(self) -> dict[str, Any]:
        """Settings pointing NOMAD at this provider: the issuer alone, discovery does the rest."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        }
