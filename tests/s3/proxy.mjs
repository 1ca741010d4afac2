// A strict S3 front for tests: a real S3-compatible server in a temp dir on
// a free loopback port -- s3rver (node) or versitygw (Go, posix backend),
// chosen by startS3({ server }) or SONGLAKE_S3_SERVER, so every test runs on
// both -- behind a node http proxy that
//  - (s3rver, which checks key ids but not signatures) recomputes every
//    request's SigV4 signature with AWS's own signer
//    (@smithy/signature-v4 + @smithy/hash-node) the way S3 does (path
//    decoded then canonically re-encoded, query decoded then re-encoded and
//    sorted, only the SignedHeaders, every x-amz-* header must be signed)
//    and answers 403 SignatureDoesNotMatch with an S3 XML body on a
//    mismatch; versitygw checks signatures (and clock skew) itself, so
//    there the proxy forwards everything and the server answers;
//  - injects faults into a configurable share of requests: 500
//    InternalError, 503 SlowDown, connection resets, stalled responses and
//    truncated bodies, from a seeded PRNG so runs are repeatable.
// Usage: const s3 = await startS3({ buckets: ['lake'] }); s3.endpoint; ...
// s3.faults = { rate: 0.2, kinds: ['500', '503', 'reset', 'stall', 'truncate'] };
// const hd = s3.holdNext((req, body) => ...); await hd.arrived; ...; await hd.release('drop');
// await s3.close();
// s3.stats.done, when set to an array, records every answer sent upstream's
// way: { method, url, status }; s3.stats.seen every request received:
// { method, url, headers }. s3.raw(method, path, { query, body, headers })
// sends one request straight to the server (not through the proxy), signed
// with the root keys S3RVER/S3RVER: test setup and independent reads.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// tests/js holds the test packages; resolve from there whatever NODE_PATH says
const require = createRequire(new URL('../js/package.json', import.meta.url));
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

// Credentials the tests use; s3rver_main.mjs registers them all with
// s3rver's single account; versitygw gets S3RVER as its root and the others
// as admin users of its internal IAM.
export const KEYS = {
  S3RVER: 'S3RVER',
  AKIASONGLAKETEST: 'test/secret+key=with%odd chars',
  AKIAPROFILEKEY: 'profile-secret-key',
  AKIAIMDSKEY: 'imds-secret-key',
  AKIADLCFGKEY: 'dlcfg-secret-key',
};

class Sha256 extends Hash {
  constructor(secret) { super('sha256', secret); }
}

function xmlError(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>0</RequestId></Error>`;
}

// S3's canonical URI: decode each segment, re-encode RFC 3986 unreserved.
function canonicalPath(raw) {
  return raw.split('/').map((seg) => encodeURIComponent(decodeURIComponent(seg))
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
}

function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, '%20'));
    if (k in q) q[k] = [].concat(q[k], v); else q[k] = v;
  }
  return q;
}

// Returns null when the signature is right, else a reason.
export async function checkSignature(req) {
  const auth = req.headers.authorization;
  if (!auth) return null; // anonymous: s3rver decides
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'malformed Authorization header';
  const [, akid, , region, signedList, sig] = m;
  const secret = KEYS[akid];
  if (!secret) return null; // unknown key id: s3rver answers InvalidAccessKeyId
  const signed = signedList.split(';');
  if (!signed.includes('host')) return 'host is not signed';
  for (const h of Object.keys(req.headers))
    if (h.startsWith('x-amz-') && !signed.includes(h)) return `${h} is present but not signed`;
  if (!req.headers['x-amz-content-sha256']) return 'x-amz-content-sha256 missing';
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate) return 'x-amz-date missing';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!d) return 'bad x-amz-date';
  const date = new Date(Date.UTC(+d[1], d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
  const headers = {};
  for (const h of signed) {
    if (req.headers[h] === undefined) return `signed header ${h} missing`;
    headers[h] = String(req.headers[h]);
  }
  const [rawPath, rawQuery] = req.url.split(/\?(.*)/s);
  let p, query;
  try {
    p = canonicalPath(rawPath);
    query = parseQuery(rawQuery);
  } catch {
    return 'undecodable URI';
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: akid, secretAccessKey: secret },
    region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false,
  });
  const out = await signer.sign({
    method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: p, query, headers,
  }, { signingDate: date, signableHeaders: new Set(signed) });
  const want = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization)[1];
  return want === sig ? null : 'signature mismatch';
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The server the tests run on: SONGLAKE_S3_SERVER (CTest registers each S3
// test once per server), else s3rver.
export const SERVERS = ['s3rver', 'versitygw'];
export const serverName = () => process.env.SONGLAKE_S3_SERVER || 's3rver';
export const versitygwBin = () => process.env.SONGLAKE_VERSITYGW
  || path.join(os.homedir(), '.cache', 'songlake', 'go', 'bin', 'versitygw');

// One request to the server itself, signed with the root keys; p is the
// path unencoded (/bucket/key).
async function rawRequest(upstream, method, p, { query = {}, body, headers = {} } = {}) {
  const enc = p.split('/').map((seg) => encodeURIComponent(seg)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
  const u = new URL(upstream);
  const hdrs = { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers };
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: KEYS.S3RVER },
    region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false,
  });
  const signed = await signer.sign({ method, protocol: 'http:', hostname: u.hostname, port: +u.port,
    path: enc, query, headers: hdrs });
  const qs = new URLSearchParams(query).toString().replace(/\+/g, '%20');
  const sent = { ...signed.headers };
  delete sent.host;
  return fetch(`${upstream}${enc}${qs ? `?${qs}` : ''}`, { method, headers: sent, body });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startS3rver(dir, buckets) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider',
    fileURLToPath(new URL('./s3rver_main.mjs', import.meta.url)), dir, ...buckets],
  { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).port);
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const gone = new Promise((r) => child.on('exit', r));
  return { port, stop: async () => { child.stdin.end(); await gone; } };
}

// versitygw on the posix backend: buckets are directories of DIR/root, the
// test keys are users in DIR/iam/users.json. It runs until stop() or until
// this process is gone (a watchdog kills it: a test killed by CTest must
// not leave servers behind).
async function startVersitygw(dir, buckets) {
  const bin = versitygwBin();
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing: scripts/deps.sh --test builds it`);
  const root = path.join(dir, 'root'), iam = path.join(dir, 'iam');
  fs.mkdirSync(root);
  fs.mkdirSync(iam);
  const accounts = {};
  for (const [access, secret] of Object.entries(KEYS))
    if (access !== 'S3RVER') accounts[access] = { access, secret, role: 'admin', userID: 0, groupID: 0, projectID: 0 };
  fs.writeFileSync(path.join(iam, 'users.json'), JSON.stringify({ accessAccounts: accounts }));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['--port', `127.0.0.1:${port}`, '--iam-dir', iam, '--quiet', 'posix', root], {
      env: { ...process.env, ROOT_ACCESS_KEY: 'S3RVER', ROOT_SECRET_KEY: KEYS.S3RVER },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '', exited = false;
    child.stderr.on('data', (c) => { err += c; });
    const gone = new Promise((r) => child.on('exit', () => { exited = true; r(); }));
    spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${child.pid} 2>/dev/null`],
      { detached: true, stdio: 'ignore' }).unref();
    const upstream = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200 && !exited; i++) {
      try {
        if ((await rawRequest(upstream, 'GET', '/')).ok) break;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (exited) {
      if (attempt < 3 && /address already in use/.test(err)) continue;
      throw new Error(`versitygw exited: ${err}`);
    }
    for (const b of buckets) {
      const r = await rawRequest(upstream, 'PUT', `/${b}`);
      if (!r.ok) throw new Error(`versitygw: create bucket ${b}: ${r.status} ${await r.text()}`);
    }
    return { port, stop: async () => { if (!exited) child.kill('SIGTERM'); await gone; } };
  }
}

export async function startS3({ buckets = ['lake'], seed = 1, stallMs = 2500, server = serverName() } = {}) {
  if (!['s3rver', 'versitygw'].includes(server)) throw new Error(`unknown S3 server ${server}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `songlake-${server}-`));
  const up = await (server === 'versitygw' ? startVersitygw : startS3rver)(dir, buckets);
  const rnd = mulberry32(seed);
  const env = {
    dir, server, kind: server, upstream: `http://127.0.0.1:${up.port}`,
    faults: { rate: 0, kinds: ['500', '503', 'reset', 'stall', 'truncate'], only: null },
    stats: { requests: 0, anonymous: 0, faults: 0, badSignatures: 0, byMethod: {}, reasons: [], log: null, done: null, seen: null },
    hold: null,
  };
  // Parks the first (correctly signed) request for which match(req, body) is
  // true: `arrived` resolves once it is fully received and parked;
  // release('drop') then closes its connection without forwarding it,
  // release('forward') sends it on to s3rver and resolves when s3rver has
  // answered (even if the client is gone, as S3 may complete a request whose
  // client died). Lets a test kill a client at an exact request.
  env.holdNext = (match) => {
    let parked, resume = null, finished;
    const arrived = new Promise((r) => { parked = r; });
    const done = new Promise((r) => { finished = r; });
    const hd = { match, park: (r) => { resume = r; parked(); }, finished };
    env.hold = hd;
    return {
      arrived,
      async release(how = 'drop') {
        if (env.hold === hd) env.hold = null;
        if (!resume) return;
        resume(how);
        if (how === 'forward') await done;
      },
    };
  };
  const sockets = new Set();
  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      env.stats.requests++;
      env.stats.byMethod[req.method] = (env.stats.byMethod[req.method] || 0) + 1;
      if (env.stats.log) env.stats.log.push(`${req.method} ${req.url}`);
      if (env.stats.seen) env.stats.seen.push({ method: req.method, url: req.url, headers: req.headers });
      if (!req.headers.authorization) env.stats.anonymous++;
      const why = server === 's3rver' ? await checkSignature(req) : null;
      if (why) {
        env.stats.badSignatures++;
        env.stats.reasons.push(`${req.method} ${req.url}: ${why}`);
        const x = xmlError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(x) });
        res.end(x);
        return;
      }
      let held = null;
      if (env.hold && env.hold.match(req, body)) {
        held = env.hold;
        env.hold = null;
        const how = await new Promise((r) => held.park(r));
        if (how === 'drop') { req.socket.destroy(); return; }
      }
      const f = env.faults;
      let kind = null;
      if (f.rate > 0 && (!f.only || f.only(req)) && rnd() < f.rate)
        kind = f.kinds[Math.floor(rnd() * f.kinds.length)];
      if (kind) env.stats.faults++;
      if (kind === '500' || kind === '503') {
        const x = kind === '500' ? xmlError('InternalError', 'We encountered an internal error. Please try again.')
          : xmlError('SlowDown', 'Please reduce your request rate.');
        res.writeHead(+kind, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(x) });
        res.end(x);
        return;
      }
      if (kind === 'reset') { req.socket.destroy(); return; }
      if (kind === 'stall') {
        res.writeHead(200, { 'content-length': '100' });
        res.flushHeaders();
        setTimeout(() => req.socket.destroy(), stallMs);
        return;
      }
      const up = http.request(env.upstream + req.url, { method: req.method, headers: req.headers }, (ur) => {
        const parts = [];
        ur.on('data', (c) => parts.push(c));
        ur.on('end', () => {
          const data = Buffer.concat(parts);
          if (kind === 'truncate' && data.length > 1) {
            res.writeHead(ur.statusCode, { ...ur.headers, 'content-length': String(data.length) });
            res.write(data.subarray(0, data.length >> 1));
            setTimeout(() => req.socket.destroy(), 10);
            return;
          }
          if (process.env.S3PROXY_DEBUG) console.error(req.method, req.url, ur.statusCode, ur.statusCode >= 300 ? data.toString().slice(0, 300) : '');
          if (env.stats.done) env.stats.done.push({ method: req.method, url: req.url, status: ur.statusCode });
          if (held) held.finished();
          res.writeHead(ur.statusCode, ur.headers);
          res.end(data);
        });
      });
      up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      up.end(body);
    });
  });
  proxy.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  env.endpoint = `http://127.0.0.1:${proxy.address().port}`;
  env.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => proxy.close(r));
    await up.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  env.raw = (method, p, opts) => rawRequest(env.upstream, method, p, opts);
  return env;
}

// Runs `aws` (Debian's awscli) against the server as an independent client.
export function awsEnv(endpoint) {
  return {
    ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

// Runs a program without blocking the event loop (the proxy lives in this
// process, so spawnSync would deadlock it). Resolves {code, out, err}.
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    p.stdout.on('data', (c) => out.push(c));
    p.stderr.on('data', (c) => err.push(c));
    p.on('close', (code) => resolve({
      code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8'),
    }));
  });
}
