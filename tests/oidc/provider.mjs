// A real OpenID Connect provider for the tests, shaped like Keycloak (npm "oidc-provider").
//
// Listens on 127.0.0.1 on a free port and prints one JSON line {"issuer": ...} once ready.
// Configuration from the environment:
//   OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET   the one confidential client
//   OIDC_TEST_REDIRECT_URI, OIDC_TEST_POST_LOGOUT_URI   where NOMAD gets the answers
//   OIDC_TEST_ACCOUNTS   path of a JSON file {"<login>": {<claims>}}, read again on every
//                        request so a test can change someone's roles between two logins
//   OIDC_TEST_AGENCY_CLAIM   name of the agency claim (NOMAD's OIDC_AGENCY_CLAIM)
// The login form is oidc-provider's development one: any password, the login is the key
// of the accounts file. Consent is skipped, as for a first-party client in Keycloak.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
};

const clientId = required("OIDC_TEST_CLIENT_ID");
const clientSecret = required("OIDC_TEST_CLIENT_SECRET");
const redirectUri = required("OIDC_TEST_REDIRECT_URI");
const postLogoutUri = required("OIDC_TEST_POST_LOGOUT_URI");
const accountsFile = required("OIDC_TEST_ACCOUNTS");
const agencyClaim = process.env.OIDC_TEST_AGENCY_CLAIM || "nomad_agencies";

const readAccounts = () => JSON.parse(readFileSync(accountsFile, "utf8"));

// A fresh signing key per run: tokens from another run can never verify.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", alg: "RS256", use: "sig" };

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        post_logout_redirect_uris: [postLogoutUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    pkce: { methods: ["S256"], required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // Keycloak's default client scopes put realm roles and mapped attributes in the ID
    // token whatever the requested scopes; claims of the openid scope behave the same.
    claims: {
      openid: ["sub", "realm_access", agencyClaim],
      email: ["email", "email_verified"],
      profile: ["given_name", "family_name", "name", "preferred_username"],
    },
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      const claims = readAccounts()[id];
      if (!claims) return undefined;
      return {
        accountId: id,
        async claims() {
          // Read again here too: the claims are those of the moment the token is issued.
          return { sub: id, preferred_username: id, ...(readAccounts()[id] || {}) };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  provider.on("server_error", (ctx, error) => console.error("provider error:", error));
  server.on("request", provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
