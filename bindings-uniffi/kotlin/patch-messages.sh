#!/usr/bin/env bash
# Post-generation step for the Kotlin bindings: makes `WxpayException.message` exactly the error
# record's message.
#
# uniffi 0.32's Kotlin template gives every variant of a non-flat error a
#     override val message
#         get() = "record=${ `record` }"
# i.e. the record's data-class dump. Each `WxpayException` variant holds one `record: ErrorRecord`,
# so this rewrites that getter to `record.message`. It fails, changing nothing, unless the pattern
# occurs exactly once per variant of WxpayException and nowhere else — a new uniffi template or a
# changed variant shape must be looked at, not silently left unpatched.
#
# Usage: bindings-uniffi/kotlin/patch-messages.sh <generated Kotlin dir>
set -euo pipefail
dir="${1:?usage: $0 <generated Kotlin dir>}"

file="$(grep -rl --include='*.kt' '^sealed class WxpayException' "$dir" || true)"
if [ -z "$file" ] || [ "$(printf '%s\n' "$file" | wc -l)" -ne 1 ]; then
  echo "patch-messages: expected one file declaring WxpayException under $dir, found: ${file:-none}" >&2
  exit 1
fi

pattern='get() = "record=${ `record` }"'
replacement='get() = `record`.message'

# Variants: the nested classes of the sealed base, up to its companion object.
variants="$(awk '
  /^sealed class WxpayException/ { inside = 1; next }
  inside && /companion object ErrorHandler/ { exit }
  inside && /^    class [A-Za-z0-9_]+\($/ { n++ }
  END { print n + 0 }
' "$file")"
in_class="$(awk -v pat="$pattern" '
  /^sealed class WxpayException/ { inside = 1; next }
  inside && /companion object ErrorHandler/ { exit }
  inside && index($0, pat) { n++ }
  END { print n + 0 }
' "$file")"
everywhere="$( { grep -rF --include='*.kt' "$pattern" "$dir" || true; } | wc -l)"

if [ "$variants" -eq 0 ] || [ "$in_class" -ne "$variants" ] || [ "$everywhere" -ne "$variants" ]; then
  echo "patch-messages: $variants WxpayException variants, the message pattern found $in_class times in the class and $everywhere times in $dir; expected exactly once per variant (has the uniffi template changed?)" >&2
  exit 1
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
awk -v pat="$pattern" -v rep="$replacement" '
  { i = index($0, pat); if (i) $0 = substr($0, 1, i - 1) rep substr($0, i + length(pat)) }
  { print }
' "$file" > "$tmp"
if [ "$(grep -cF "$replacement" "$tmp")" -ne "$variants" ] || grep -qF "$pattern" "$tmp"; then
  echo "patch-messages: the rewrite did not apply cleanly to $file" >&2
  exit 1
fi
cat "$tmp" > "$file"
echo "patch-messages: WxpayException.message is record.message in $variants variants ($file)"
