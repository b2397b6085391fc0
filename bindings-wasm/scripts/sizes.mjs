// Sizes of what users download: the packed tarball and the .wasm, raw and gzip (-9), as JSON.
// Usage: node scripts/sizes.mjs TARBALL WASM > sizes.json
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const [tarball, wasm] = process.argv.slice(2);
const size = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
const tgz = readFileSync(tarball);
const unpacked = gunzipSync(tgz);
console.log(JSON.stringify({
  // The tarball is already gzip: raw is the .tar inside it, gzip the .tgz npm publishes.
  tarball: { file: basename(tarball), raw: unpacked.length, gzip: tgz.length },
  wasm: { file: basename(wasm), ...size(readFileSync(wasm)) },
}, null, 2));
