#!/usr/bin/env bash
# Generates the Swift sources of the package into the SwiftPM layout under $1 (default: here).
# `make swift-bindings` writes them in place; `make test-swift` writes to a scratch directory
# and fails if the committed files differ.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="${1:-$here}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$root/target/debug/uniffi-bindgen" generate --library "$root/target/release/libwxpay_terminate_uniffi.so" \
  --language swift --no-format --out-dir "$scratch" >/dev/null

# WxpayError's `errorDescription` is exactly the error record's message. uniffi 0.32 writes
# `String(reflecting: self)` (a dump of the case and its record); every case holds one
# `record: ErrorRecord`, reachable through the exported `record()`. Like
# kotlin/patch-generated.sh, this fails unless the pattern occurs exactly once, inside WxpayError.
swift="$scratch/WxpayTerminate.swift"
pattern='String(reflecting: self)'
in_enum="$(awk -v pat="$pattern" '
  /^enum WxpayError:/ { inside = 1; next }
  inside && /^extension WxpayError: Sendable/ { exit }
  inside && index($0, pat) { n++ }
  END { print n + 0 }
' "$swift")"
if [ "$in_enum" -ne 1 ] || [ "$(grep -cF "$pattern" "$swift")" -ne 1 ]; then
  echo "generate.sh: expected \`$pattern\` exactly once, in WxpayError's errorDescription (has the uniffi template changed?)" >&2
  exit 1
fi
sed -i "s/String(reflecting: self)/record().message/" "$swift"

# Both Swift files form one module (uniffi's external types are referenced without imports);
# each crate's C header gets its own clang module.
mkdir -p "$out/Sources/WxpayTerminate"
cp "$scratch/WxpayTerminate.swift" "$scratch/WxpayTerminateCatalog.swift" "$out/Sources/WxpayTerminate/"
for ffi in WxpayTerminateFFI WxpayTerminateCatalogFFI; do
  mkdir -p "$out/Sources/$ffi/include"
  cp "$scratch/$ffi.h" "$out/Sources/$ffi/include/$ffi.h"
  cp "$scratch/$ffi.modulemap" "$out/Sources/$ffi/include/module.modulemap"
  # SwiftPM needs one source file in a C target.
  printf '// Intentionally empty: the symbols live in libwxpay_terminate_uniffi.\n' > "$out/Sources/$ffi/shim.c"
done
