#!/usr/bin/env bash
# Post-generation step for the Kotlin bindings, three patches, each failing loudly unless uniffi's
# template is exactly the one expected: `WxpayException.message` is the error record's message;
# `ClientConfig.toString()` redacts key material; calls into Rust reuse per-thread call statuses.
#
# 1. The message.
#
# uniffi 0.32's Kotlin template gives every variant of a non-flat error a
#     override val message
#         get() = "record=${ `record` }"
# i.e. the record's data-class dump. Each `WxpayException` variant holds one `record: ErrorRecord`,
# so this rewrites that getter to `record.message`. It fails, changing nothing, unless the pattern
# occurs exactly once per variant of WxpayException and nowhere else — a new uniffi template or a
# changed variant shape must be looked at, not silently left unpatched.
#
# Usage: bindings-uniffi/kotlin/patch-generated.sh <generated Kotlin dir>
set -euo pipefail
dir="${1:?usage: $0 <generated Kotlin dir>}"

file="$(grep -rl --include='*.kt' '^sealed class WxpayException' "$dir" || true)"
if [ -z "$file" ] || [ "$(printf '%s\n' "$file" | wc -l)" -ne 1 ]; then
  echo "patch-generated: expected one file declaring WxpayException under $dir, found: ${file:-none}" >&2
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
  echo "patch-generated: $variants WxpayException variants, the message pattern found $in_class times in the class and $everywhere times in $dir; expected exactly once per variant (has the uniffi template changed?)" >&2
  exit 1
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
awk -v pat="$pattern" -v rep="$replacement" '
  { i = index($0, pat); if (i) $0 = substr($0, 1, i - 1) rep substr($0, i + length(pat)) }
  { print }
' "$file" > "$tmp"
if [ "$(grep -cF "$replacement" "$tmp")" -ne "$variants" ] || grep -qF "$pattern" "$tmp"; then
  echo "patch-generated: the rewrite did not apply cleanly to $file" >&2
  exit 1
fi
cat "$tmp" > "$file"
echo "patch-generated: WxpayException.message is record.message in $variants variants ($file)"

# ClientConfig is a data class whose generated toString() would print the private key and the
# APIv3 key (KeyMaterial is a String in Kotlin). Every key-material field — the core names them
# `…_key` and `platform_certificates` — prints as <redacted>; read from the fields themselves, so a
# new option needs no edit here.
file="$(grep -rl --include='*.kt' '^data class ClientConfig ($' "$dir" || true)"
if [ -z "$file" ] || [ "$(printf '%s\n' "$file" | wc -l)" -ne 1 ]; then
  echo "patch-generated: expected one file declaring ClientConfig under $dir, found: ${file:-none}" >&2
  exit 1
fi
start="$(grep -n '^data class ClientConfig ($' "$file" | cut -d: -f1)"
body="$(awk -v s="$start" 'NR > s && /^\)\{$/ { print NR; exit }' "$file")"
if [ -z "$body" ]; then
  echo "patch-generated: no '){' closing ClientConfig's constructor in $file" >&2
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
echo "patch-generated: ClientConfig.toString() redacts key material ($file)"

# Every call into Rust gets a call status (a JNA Structure). uniffi's template makes a new one per
# call, and a JNA Structure brings native memory freed by JNA's single cleaner thread: at tens of
# thousands of calls a second on two busy cores that thread falls behind, the heap fills with
# pending cleaners and the collector's pauses dominate the call (the JVM's unsigned build measured
# 94 µs, a no-op call 31 µs). Here each thread keeps its own small stack of call statuses: a call
# takes one (reset to success), a nested call — Rust calling back into Kotlin that calls Rust —
# takes another, and each goes back when its call returns or throws. The statuses are not
# synchronised by JNA (`autoSynch` off): by default every call writes all four fields into native
# memory and reads them back by reflection; here only the code byte is reset before the call and
# read after it, and the whole structure only when the call failed. Same rules as the message
# patch: the template must appear exactly once per generated file that defines the helper.
old_call='    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}'
new_call='    val status = UniffiCallStatusPool.take()
    try {
        val return_value = callback(status)
        if (status.pointer.getByte(0) != UNIFFI_CALL_SUCCESS) status.read()
        uniffiCheckCallStatus(errorHandler, status)
        return return_value
    } finally {
        UniffiCallStatusPool.give(status)
    }
}

/** Call statuses reused per thread (wxpay-terminate patch-generated.sh: why). */
private object UniffiCallStatusPool {
    private val free = ThreadLocal.withInitial { java.util.ArrayDeque<UniffiRustCallStatus>(4) }

    fun take(): UniffiRustCallStatus {
        val status = free.get().pollLast() ?: UniffiRustCallStatus().also { it.setAutoSynch(false) }
        status.code = UNIFFI_CALL_SUCCESS
        status.error_buf.capacity = 0
        status.error_buf.len = 0
        status.error_buf.data = null
        // Rust writes the error buffer only with a failure code: the code is all it reads.
        status.pointer.setByte(0, UNIFFI_CALL_SUCCESS)
        return status
    }

    fun give(status: UniffiRustCallStatus) {
        free.get().addLast(status)
    }
}'
files="$(grep -rlF --include='*.kt' 'private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(' "$dir" || true)"
if [ -z "$files" ]; then
  echo "patch-generated: no uniffiRustCallWithError under $dir (has the uniffi template changed?)" >&2
  exit 1
fi
for file in $files; do
  OLD="$old_call" NEW="$new_call" python3 - "$file" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
old, new = os.environ["OLD"], os.environ["NEW"]
head = "private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError("
at = text.find(head)
body = text.find("\n", at) + 1
if text.count(head) != 1 or text.count(old) != 1 or not text.startswith(old, body):
    sys.exit(f"patch-generated: uniffiRustCallWithError in {path} is not the expected template (has uniffi changed?)")
open(path, "w", encoding="utf-8").write(text[:body] + new + text[body + len(old):])
PY
  echo "patch-generated: call statuses reused per thread ($file)"
done
