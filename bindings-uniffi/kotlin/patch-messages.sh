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

# ClientConfig is a data class whose generated toString() would print the private key and the
# APIv3 key (KeyMaterial is a String in Kotlin). Every key-material field — the core names them
# `…_key` and `platform_certificates` — prints as <redacted>; read from the fields themselves, so a
# new option needs no edit here.
file="$(grep -rl --include='*.kt' '^data class ClientConfig ($' "$dir" || true)"
if [ -z "$file" ] || [ "$(printf '%s\n' "$file" | wc -l)" -ne 1 ]; then
  echo "patch-messages: expected one file declaring ClientConfig under $dir, found: ${file:-none}" >&2
  exit 1
fi
start="$(grep -n '^data class ClientConfig ($' "$file" | cut -d: -f1)"
body="$(awk -v s="$start" 'NR > s && /^\)\{$/ { print NR; exit }' "$file")"
if [ -z "$body" ]; then
  echo "patch-messages: no '){' closing ClientConfig's constructor in $file" >&2
  exit 1
fi
awk -v at="$body" '
  { print }
  NR == at {
    print "    /** The options, with key material redacted: a config may be logged, its keys never. */"
    print "    override fun toString(): String = javaClass.declaredFields"
    print "        .filter { !java.lang.reflect.Modifier.isStatic(it.modifiers) }"
    print "        .joinToString(\", \", \"ClientConfig(\", \")\") { f ->"
    print "            f.isAccessible = true"
    print "            val value = f.get(this)"
    print "            val secret = f.name.endsWith(\"Key\") || f.name == \"platformCertificates\""
    print "            f.name + \"=\" + if (secret && value != null) \"<redacted>\" else java.lang.String.valueOf(value)"
    print "        }"
  }
' "$file" > "$tmp"
cat "$tmp" > "$file"
echo "patch-messages: ClientConfig.toString() redacts key material ($file)"
