// Local OpenID provider that stands in for the state's digital ID in
// development and tests. It is a real oidc-provider instance (authorization
// code + PKCE, discovery, JWKS, RP-initiated logout) whose accounts are the
// demo personas in personas.json, plus a fault-injection layer that lets the
// portal's tests prove it rejects every kind of bad ID token.
//
//   node idp/server.mjs [--port N]     (or IDP_PORT; 0 picks a free port)
//
// See docs/idp.md for the personas, the faults and the environment variables.

import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

// Harnesses read stdout for the single IDP_READY line; oidc-provider prints its
// development notices with console.info, so those go to stderr instead.
console.info = console.error;

const DEFAULT_PORT = 9000;
const DEFAULT_CLIENTS = [
  {
    client_id: 'ventanilla',
    client_secret: 'ventanilla-dev-secret',
    redirect_uris: ['http://127.0.0.1:5000/auth/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:5000/'],
  },
];

// What the fault personas put in place of the real values.
const OTHER_CLIENT_ID = 'other-client';
const WRONG_ISSUER = 'https://idp.invalid';
const WRONG_NONCE = 'not-the-nonce-the-client-sent';
const FAULT_SKEW_SECONDS = 10 * 60;

const { values: args } = parseArgs({ options: { port: { type: 'string' } } });
const port = Number(args.port ?? process.env.IDP_PORT ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`invalid port: ${args.port ?? process.env.IDP_PORT}`);
}

const personas = JSON.parse(
  await readFile(new URL('./personas.json', import.meta.url), 'utf8'),
);
const personaBySub = new Map(personas.map((persona) => [persona.sub, persona]));
const personaByLogin = new Map(personas.map((persona) => [persona.login, persona]));

const clients = process.env.IDP_CLIENTS ? JSON.parse(process.env.IDP_CLIENTS) : DEFAULT_CLIENTS;

const signingKeys = process.env.IDP_JWKS_FILE
  ? await loadSigningKeys(process.env.IDP_JWKS_FILE)
  : await generateSigningKeys();
const signingKeyByKid = new Map(signingKeys.map((jwk) => [jwk.kid, jwk]));

// Fresh keys on every start: tokens from a previous run must not verify, and
// no private key ever lands in the repository.
async function generateSigningKeys() {
  return Promise.all(['RS256', 'ES256'].map(async (alg) => {
    const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwk = await jose.exportJWK(privateKey);
    return { ...jwk, alg, use: 'sig', kid: await jose.calculateJwkThumbprint(jwk) };
  }));
}

// The fault layer finds the private key by the kid in the token header, so
// every key needs one; the provider would otherwise derive its own.
async function loadSigningKeys(path) {
  const { keys } = JSON.parse(await readFile(path, 'utf8'));
  return Promise.all(keys.map(async (jwk) => ({
    ...jwk,
    kid: jwk.kid ?? await jose.calculateJwkThumbprint(jwk),
  })));
}

// Each fault persona gets an ID token with exactly one defect, so a relying
// party test can tell which check caught it. Everything else about the token
// (claims, header, key) is what the provider issued.
const faults = {
  'fault-aud': ({ header, payload }) => signWithProviderKey(header, {
    ...payload, aud: OTHER_CLIENT_ID,
  }),
  'fault-azp': ({ header, payload }) => signWithProviderKey(header, {
    ...payload, aud: [OTHER_CLIENT_ID], azp: payload.aud,
  }),
  'fault-iss': ({ header, payload }) => signWithProviderKey(header, {
    ...payload, iss: WRONG_ISSUER,
  }),
  'fault-expired': ({ header, payload }) => signWithProviderKey(header, shiftTimes(
    payload,
    epochNow() - FAULT_SKEW_SECONDS - payload.exp,
  )),
  'fault-iat-future': ({ header, payload }) => signWithProviderKey(header, shiftTimes(
    payload,
    epochNow() + FAULT_SKEW_SECONDS - payload.iat,
  )),
  'fault-nonce': ({ header, payload }) => signWithProviderKey(header, {
    ...payload, nonce: WRONG_NONCE,
  }),
  'fault-signature': ({ token }) => corruptSignature(token),
  'fault-kid': async ({ header, payload }) => {
    const { privateKey, publicKey } = await jose.generateKeyPair(header.alg);
    const kid = `unknown-${await jose.calculateJwkThumbprint(await jose.exportJWK(publicKey))}`;
    return new jose.SignJWT(payload).setProtectedHeader({ ...header, kid }).sign(privateKey);
  },
  'fault-alg-none': ({ payload }) => new jose.UnsecuredJWT(payload).encode(),
};

const server = http.createServer();
server.listen(port, '127.0.0.1');
await once(server, 'listening');
// The issuer must be known before the provider exists, and with port 0 only
// the listening socket knows it.
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  jwks: { keys: signingKeys },
  findAccount(ctx, sub) {
    const persona = personaBySub.get(sub);
    return persona && {
      accountId: persona.sub,
      claims: () => ({ sub: persona.sub, ...persona.claims }),
    };
  },
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: ['curp', 'given_name', 'family_name', 'second_family_name', 'birthdate', 'sex'],
    email: ['email', 'email_verified'],
  },
  // Without this the scope-requested profile claims (curp above all) would
  // only be available at /userinfo; the portal reads them from the ID token.
  conformIdTokenClaims: false,
  // The default only requires PKCE from public clients; the portal is a
  // confidential client and must still be made to use it.
  pkce: { required: () => true },
  cookies: { keys: ['ventanilla-idp-dev-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Sign-ins stay short: the provider forgets the citizen after fifteen
  // minutes, so a forgotten session in a development browser or a kiosk demo
  // does not silently sign the next person in.
  ttl: {
    AuthorizationCode: 60,
    AccessToken: 10 * 60,
    IdToken: 10 * 60,
    Interaction: 15 * 60,
    Session: 15 * 60,
    Grant: 15 * 60,
  },
});

provider.use(rejectUnknownAccounts);
provider.use(injectIdTokenFaults);

server.on('request', provider.callback());
process.stdout.write(`IDP_READY ${issuer}\n`);

// devInteractions takes any login as the account id, and an account that
// findAccount does not know then fails deep inside the authorization request
// with a 500. Handling the login form's POST here lets an unknown login get
// the form back with an error instead; the consent form, the cancel link and
// the rendering of both forms stay devInteractions'.
async function rejectUnknownAccounts(ctx, next) {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) {
    return next();
  }
  let interaction;
  try {
    interaction = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    // Expired or missing interaction: the provider's own handler explains it.
    return next();
  }
  if (interaction.prompt.name !== 'login') {
    return next();
  }

  const form = new URLSearchParams(await text(ctx.req));
  const login = (form.get('login') ?? '').trim().toLowerCase();
  const persona = personaByLogin.get(login);
  if (!persona) {
    ctx.status = 422;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = unknownAccountPage(ctx.path, login);
    return undefined;
  }
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId: persona.sub } },
    { mergeWithLastSubmission: false },
  );
  // interactionFinished has already written the redirect to the raw response.
  ctx.respond = false;
  return undefined;
}

function unknownAccountPage(submitPath, login) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in</title>
</head>
<body>
<h1>Sign-in</h1>
<p role="alert">Unknown account "${escapeHtml(login)}". Use a login from idp/personas.json, for example "lupita".</p>
<form autocomplete="off" action="${escapeHtml(submitPath)}" method="post">
<input type="hidden" name="prompt" value="login">
<input required type="text" name="login" placeholder="Login" value="${escapeHtml(login)}">
<input required type="password" name="password" placeholder="Any password" autofocus>
<button type="submit">Sign-in</button>
</form>
<a href="${escapeHtml(submitPath)}/abort">[ Cancel ]</a>
</body>
</html>
`;
}

function escapeHtml(value) {
  const entities = {
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  };
  return value.replace(/[&<>"']/g, (char) => entities[char]);
}

async function injectIdTokenFaults(ctx, next) {
  await next();
  if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || !ctx.body?.id_token) {
    return;
  }
  const token = ctx.body.id_token;
  const payload = jose.decodeJwt(token);
  const fault = faults[personaBySub.get(payload.sub)?.login];
  if (fault) {
    const header = jose.decodeProtectedHeader(token);
    ctx.body = { ...ctx.body, id_token: await fault({ token, header, payload }) };
  }
}

async function signWithProviderKey(header, payload) {
  const key = await jose.importJWK(signingKeyByKid.get(header.kid), header.alg);
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

// Moves every time claim by the same amount, as if the token had been issued
// at another moment, so the token stays internally consistent (iat < exp) and
// only its validity window is wrong.
function shiftTimes(payload, seconds) {
  const shifted = { ...payload };
  for (const claim of ['iat', 'exp', 'auth_time']) {
    if (claim in shifted) {
      shifted[claim] += seconds;
    }
  }
  return shifted;
}

function corruptSignature(token) {
  const [header, payload, signature] = token.split('.');
  const bytes = jose.base64url.decode(signature);
  bytes[0] ^= 0xff;
  return [header, payload, jose.base64url.encode(bytes)].join('.');
}

function epochNow() {
  return Math.floor(Date.now() / 1000);
}
