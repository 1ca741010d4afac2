import { startPg } from './pgserver.mjs';
import { loadPg } from './lib.mjs';
const s = await startPg();
try {
  for (let i = 0; i < 2; i++) { const r = loadPg(s, '/tmp/pg-genlake'); console.log(r.out, r.err); }
} finally { s.stop(); }
