package com.wxpayterminate

import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Host
import com.wxpayterminate.catalog.RequestRecord
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import org.opentest4j.AssertionFailedError
import org.opentest4j.TestAbortedException
import java.io.File
import java.util.Base64

/**
 * Every file of tests/vectors/cases through the Kotlin API, exactly as in Rust. A file whose type
 * has no runner fails; nothing is skipped (no assumptions), so every case either passes or fails.
 * The files on disk must be exactly those of tests/vectors/manifest.json, and every case it lists
 * must run: [everyListedCaseRan] after this class, [VectorsCompleteTest] after every class.
 */
class VectorsTest {
    companion object {
        /** Every listed case ran to its end: fewer (a factory leaving cases out, an aborted or
         *  disabled factory, an assumption in `@BeforeAll`/`@BeforeEach`) fails the class. */
        @JvmStatic
        @AfterAll
        fun everyListedCaseRan() {
            val ran = VectorRun.completed.toSet()
            val listed = VectorManifest.caseNames
            assertEquals(
                emptyList<String>(), (listed - ran).sorted().take(20),
                "the vector suite ran ${ran.size} of the ${VectorManifest.cases} cases tests/vectors/manifest.json lists; not run (first 20):",
            )
            assertEquals(emptyList<String>(), (ran - listed).sorted(), "cases run that manifest.json does not list")
        }
    }

    private val casesDir = File(Fixtures.vectors, "cases")
    private val files: List<File> = casesDir.walkTopDown().filter { it.isFile && it.extension == "json" }.sortedBy { it.path }.toList()
    /** A case, its file text (org.json does not keep key order, which a JSON body needs) and its name. */
    class Case(val json: JSONObject, val text: String, val name: String)

    private val runners: Map<String, (Case) -> Unit> = mapOf(
        "signing" to ::signing,
        "request" to ::request,
        "request_generic" to ::request,
        "certificates_request" to ::request,
        "request_error" to ::requestError,
        "client_error" to ::clientError,
        "response" to ::response,
        "notification" to ::notification,
        "certificates" to ::certificates,
    )

    @Test
    fun everyVectorFileHasARunner() {
        assertTrue(files.size >= 100, "only ${files.size} vector files")
        val unknown = files.map { JSONObject(it.readText()).getString("type") }.toSet() - runners.keys
        assertTrue(unknown.isEmpty(), "vector types without a Kotlin runner: $unknown")
        assertTrue(files.count { JSONObject(it.readText()).getString("type") == "notification" } >= 46)
    }

    /** A deleted, added or edited vector fails here, not only where it happens to be loaded. */
    @Test
    fun vectorFilesMatchTheManifest() {
        val differences = VectorManifest.differences()
        assertTrue(differences.isEmpty(), "tests/vectors differs from manifest.json (run `make gen` after a deliberate change):\n" + differences.joinToString("\n"))
        assertEquals(VectorManifest.cases, files.size, "manifest.json lists ${VectorManifest.cases} cases, ${files.size} case files are on disk")
        assertEquals(VectorManifest.caseNames, files.map { it.relativeTo(casesDir).invariantSeparatorsPath.removeSuffix(".json") }.toSet())
    }

    @TestFactory
    fun vectors(): List<DynamicTest> = files.map { file ->
        val name = file.relativeTo(casesDir).path.removeSuffix(".json")
        DynamicTest.dynamicTest(name) {
            val text = file.readText()
            val case = Case(JSONObject(text), text, name)
            val runner = runners[case.json.getString("type")] ?: fail("no Kotlin runner for ${case.json.getString("type")}")
            // A skipped vector is a failed one: an assumption inside a runner must not hide a case.
            try {
                runner(case)
            } catch (e: TestAbortedException) {
                fail("vector $name was skipped (${e.message}): every case must run", e)
            }
            VectorRun.completed += file.relativeTo(casesDir).invariantSeparatorsPath.removeSuffix(".json")
        }
    }

    // ---- secrets (tests/vectors/README.md, "Secrets") ---------------------------------------

    /** The base64 lines (40+ characters) of every `PRIVATE KEY` file in keys/, and every client's APIv3 key. */
    private val keySecrets: List<String> by lazy {
        val keyLines = Fixtures.keys.listFiles()!!.sortedBy { it.name }.map { it.readText() }.filter { "PRIVATE KEY-----" in it }
            .flatMap { text -> text.lines().filter { !it.startsWith("-----") && it.length >= 40 } }
        val apiv3Keys = Fixtures.clients.keySet().mapNotNull { Fixtures.str(Fixtures.clients.getJSONObject(it), "apiv3_key") }
        // Not vacuous: the key files and the three clients' APIv3 keys are all there.
        assertTrue(keyLines.size >= 100, "only ${keyLines.size} private-key lines found in ${Fixtures.keys}")
        assertEquals(3, apiv3Keys.size, "APIv3 keys in clients.json")
        keyLines + apiv3Keys
    }

    /** What no error text of this case may contain: [keySecrets], the case's `Wechatpay-Signature`,
     *  its response or notification body (over 16 characters) and any ciphertext in that body. */
    private fun secretsOf(case: JSONObject): List<String> {
        val secrets = keySecrets.toMutableList()
        for (kind in listOf("response", "notification")) {
            val message = case.optJSONObject(kind) ?: continue
            val headers = message.optJSONArray("headers") ?: JSONArray()
            for (i in 0 until headers.length()) {
                val pair = headers.getJSONArray(i)
                if (pair.getString(0).equals("Wechatpay-Signature", ignoreCase = true) && pair.getString(1).length > 8) secrets += pair.getString(1)
            }
            val body = Fixtures.str(message, "body")
            if (body != null && body.length > 16) {
                secrets += body
                val json: Any? = runCatching { JSONObject(body) }.getOrNull() ?: runCatching { JSONArray(body) }.getOrNull()
                secrets += ciphertexts(json).filter { it.length > 16 }
            }
        }
        return secrets
    }

    private fun ciphertexts(v: Any?): List<String> = when (v) {
        is JSONObject -> v.keySet().flatMap { k -> v.get(k).let { if (k == "ciphertext" && it is String) listOf(it) else ciphertexts(it) } }
        is JSONArray -> (0 until v.length()).flatMap { ciphertexts(v.get(it)) }
        else -> emptyList()
    }

    /** Fails naming which of `texts` leaks which kind of secret (never printing the secret). */
    private fun assertNoSecret(what: String, secrets: List<String>, texts: List<String?>) {
        for (text in texts.filterNotNull()) {
            val leaked = secrets.indexOfFirst { it in text }
            assertTrue(leaked < 0, "$what leaks secret #$leaked of the case (key, APIv3 key, signature, body or ciphertext): $text")
        }
    }

    /** The check itself is not vacuous: a text holding any one secret fails it. */
    @Test
    fun theSecretCheckCatchesEachKindOfLeak() {
        val case = JSONObject(files.first { it.path.endsWith("notification/entrust_terminate_direct_cert_a.json") }.readText())
        val secrets = secretsOf(case)
        val body = case.getJSONObject("notification").getString("body")
        val signature = Fixtures.pairs(case.getJSONObject("notification").getJSONArray("headers")).single { it.name.equals("Wechatpay-Signature", true) }.value
        val ciphertext = JSONObject(body).getJSONObject("resource").getString("ciphertext")
        for (secret in listOf(keySecrets.first(), keySecrets.last(), signature, body, ciphertext)) {
            assertTrue(secret in secrets)
            assertThrows<AssertionFailedError> { assertNoSecret("a test text", secrets, listOf("before $secret after")) }
        }
        assertNoSecret("a clean text", secrets, listOf("invalid_signature: the signature does not verify"))
    }

    /** The client and request records never show a private key or an APIv3 key. */
    private fun assertNoKeyIn(what: String, vararg values: Any) =
        assertNoSecret(what, keySecrets, values.map { it.toString() })

    private fun signing(c: Case) {
        val case = c.json
        val expect = case.getJSONObject("expect")
        val message: ByteArray = if (case.has("message")) {
            case.getString("message").toByteArray()
        } else {
            // The stage is built by the binding: an unsigned generic request over the same parts.
            val client = Client(Fixtures.config(JSONObject(Fixtures.clients.getJSONObject("doc_pubkey").toString()).put("private_key", case.getString("key"))))
            val body = case.getString("body")
            val call = ApiCallSpec(method = case.getString("method"), template = case.getString("canonical_url"), json = body.ifEmpty { null })
            val unsigned = client.unsignedCall(call, case.getLong("timestamp"), case.getString("nonce"))
            unsigned.stringToSign().also { assertEquals(expect.getString("string_to_sign"), String(it)) }
        }
        assertEquals(expect.getString("signature"), signMessage(Fixtures.key(case.getString("key")), message))
    }

    /** The one unsigned builder for the case's input shape. */
    private fun unsigned(client: Client, c: Case): UnsignedRequest {
        val case = c.json
        val (timestamp, nonce) = case.optLong("timestamp", -1L) to case.optString("nonce", "")
        return when {
            case.getString("type") == "certificates_request" ->
                client.unsignedCertificates(if (case.getString("host") == "global") Host.GLOBAL else Host.API, timestamp, nonce)
            case.has("operation") && !case.isNull("operation") ->
                client.unsignedById(case.getString("operation"), case.getJSONObject("params").toString(), timestamp, nonce)
            else -> client.unsignedCall(apiCall(c), timestamp, nonce)
        }
    }

    private fun build(client: Client, c: Case): RequestRecord = client.sign(unsigned(client, c))

    private fun apiCall(c: Case): ApiCallSpec {
        val case = c.json
        val params = case.optJSONObject("path_params")
        return ApiCallSpec(
            method = case.getString("method"),
            template = case.getString("template"),
            pathParams = params?.keys()?.asSequence()?.map { Header(it, params.getString(it)) }?.toList() ?: emptyList(),
            query = case.optJSONArray("query")?.let(Fixtures::pairs) ?: emptyList(),
            // JSONObject does not keep key order, so the body goes over as the file's own text.
            json = if (case.has("json")) extractMember(c.text, "json") else null,
        )
    }

    private fun request(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val expect = case.getJSONObject("expect")
        val want = expect.getJSONObject("request")
        val req = build(client, c)
        assertEquals(want.getString("method"), req.method)
        assertEquals(want.getString("url"), req.url)
        val headers = req.headers.associate { it.name.lowercase() to it.value }
        val wantHeaders = want.getJSONObject("headers")
        for (name in wantHeaders.keys()) assertEquals(wantHeaders.getString(name), headers[name.lowercase()], name)
        for (name in want.getJSONArray("absent_headers").map { it as String }) assertNull(headers[name.lowercase()], name)
        assertTrue(headers.getValue("user-agent").startsWith(want.getString("user_agent_prefix")))
        assertEquals(wantHeaders.keySet().map { it.lowercase() }.toSet() + "user-agent", headers.keys)
        assertEquals(if (want.isNull("body")) null else want.getString("body"), req.body?.let { String(it) })
        assertEquals(expect.getString("authorization"), headers["authorization"])

        assertEquals(Fixtures.str(case, "operation"), req.operation)

        // Two-phase signing with the oracle's signature gives the same descriptor, field by field.
        val unsigned = unsigned(client, c)
        assertEquals(expect.getString("string_to_sign"), String(unsigned.stringToSign()))
        assertEquals(req.operation, unsigned.operation())
        val completed = unsigned.complete(expect.getString("signature"))
        assertEquals(req.operation, completed.operation)
        assertEquals(req.method, completed.method)
        assertEquals(req.url, completed.url)
        assertEquals(req.headers, completed.headers)
        assertArrayEquals(req.body, completed.body)
        assertNoKeyIn("a client or request record", client, req, completed, unsigned)
    }

    private fun checkError(c: Case, e: WxpayException, want: JSONObject, client: Client? = null) {
        val record = e.record()
        assertEquals(want.getString("kind"), record.kind, e.message)
        // One class per kind; Other only for a kind this package does not list.
        assertEquals(if (record.kind in errorKinds()) record.kind else null, e.classKind(), e::class.java.name)
        // The message is exactly the record's, and the core's pinned message for this case.
        assertEquals(record.message, e.message)
        assertEquals(Fixtures.messages.optString(c.name, "<no message pinned for ${c.name}>"), record.message)
        if (want.has("field")) assertEquals(want.getString("field"), record.field)
        if (want.has("status")) assertEquals(want.getInt("status"), record.status?.toInt())
        if (want.has("code")) assertEquals(Fixtures.str(want, "code"), record.code)
        if (want.has("message")) assertEquals(Fixtures.str(want, "message"), record.apiMessage)
        if (want.has("request_id")) assertEquals(Fixtures.str(want, "request_id"), record.requestId)
        // The exception's own flag against the vector's, or — where the vector says nothing — the
        // documented rule: only a 429 or a 5xx answer is worth sending again.
        val status = record.status?.toInt()
        val retryable = if (want.has("retryable")) want.getBoolean("retryable") else status != null && (status == 429 || status >= 500)
        assertEquals(retryable, record.retryable, "retryable")
        if (want.has("detail")) {
            val detail = want.get("detail")
            if (detail == JSONObject.NULL) assertNull(record.detail) else assertTrue(JSONObject(record.detail).similar(detail), record.detail)
        }
        if (e is WxpayException.Api) assertNotNull(record.status) else assertNull(record.status)
        val texts = listOf(
            e.message, e.toString(), e.localizedMessage, e.stackTraceToString(), record.toString(),
            record.kind, record.message, record.field, record.serial, record.code, record.apiMessage, record.detail, record.requestId,
        )
        for (text in texts.filterNotNull()) assertTrue("MII" !in text && "KEY-----" !in text, "error text holds key material: $text")
        assertNoSecret("the error of ${c.name}", secretsOf(c.json), texts)
        if (client != null) assertNoKeyIn("the client", client)
    }

    private fun requestError(c: Case) {
        val client = Fixtures.client(c.json.getString("client"))
        checkError(c, assertThrows<WxpayException> { build(client, c) }, c.json.getJSONObject("expect").getJSONObject("error"), client)
    }

    private fun clientError(c: Case) {
        val e = assertThrows<WxpayException> { Client(Fixtures.config(c.json.getJSONObject("config"))) }
        checkError(c, e, c.json.getJSONObject("expect").getJSONObject("error"))
    }

    private fun body(message: JSONObject): ByteArray =
        if (message.has("body")) message.getString("body").toByteArray() else Base64.getDecoder().decode(message.getString("body_base64"))

    private fun response(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val r = case.getJSONObject("response")
        val operation = Fixtures.str(case, "operation")
        val expect = case.getJSONObject("expect")
        val call = { client.parseById(operation, r.getInt("status").toUShort(), Fixtures.pairs(r.getJSONArray("headers")), body(r), case.getLong("now")) }
        if (expect.has("ok")) {
            val ok = expect.getJSONObject("ok")
            val parsed = call()
            assertEquals(ok.getInt("status"), parsed.status.toInt())
            assertEquals(Fixtures.str(ok, "request_id"), parsed.requestId)
            val data = ok.get("data")
            when {
                data == JSONObject.NULL -> assertNull(parsed.json)
                data is JSONObject -> assertTrue(JSONObject(parsed.json).similar(data), "${parsed.json} != $data")
                data is JSONArray -> assertTrue(JSONArray(parsed.json).similar(data))
                else -> assertEquals(data.toString(), parsed.json)
            }
        } else {
            checkError(c, assertThrows<WxpayException> { call() }, expect.getJSONObject("error"), client)
        }
    }

    private fun notification(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val n = case.getJSONObject("notification")
        val body = body(n)
        val expect = case.getJSONObject("expect")
        val call = { client.parseNotification(Fixtures.pairs(n.getJSONArray("headers")), body, case.getLong("now")) }
        if (expect.has("ok")) {
            val ok = expect.getJSONObject("ok")
            val notification = call()
            val json = JSONObject(notificationJson(notification))
            assertTrue(json.similar(ok), "$json != $ok")
            // The typed record agrees with its JSON form.
            assertEquals(ok.getString("id"), notification.id)
            assertEquals(ok.getString("event_type"), notification.eventType)
            assertEquals(ok.getString("create_time"), notification.createTime)
            assertEquals(Fixtures.str(ok, "summary"), notification.summary)
            assertEquals(Fixtures.str(ok, "original_type"), notification.originalType)
        } else {
            val e = assertThrows<WxpayException> { call() }
            checkError(c, e, expect.getJSONObject("error"), client)
            val text = String(body)
            assertFalse(text.length > 16 && text in e.message.orEmpty(), "the error message leaks the body")
        }
    }

    private fun certificates(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val r = case.getJSONObject("response")
        val expect = case.getJSONObject("expect")
        val call = { client.parseCertificates(r.getInt("status").toUShort(), Fixtures.pairs(r.getJSONArray("headers")), body(r), case.getLong("now")) }
        if (expect.has("ok")) {
            val set = call()
            val json = JSONObject().put("certificates", JSONArray(set.certificates.map {
                JSONObject().put("serial_no", it.serialNo).put("not_before", it.notBefore).put("not_after", it.notAfter).put("pem", it.pem)
            }))
            assertTrue(json.similar(expect.getJSONObject("ok")), "$json != ${expect.getJSONObject("ok")}")
        } else {
            checkError(c, assertThrows<WxpayException> { call() }, expect.getJSONObject("error"), client)
        }
    }
}

/** The raw text of a top-level member of a JSON document, found by walking its brackets. */
internal fun extractMember(text: String, name: String): String {
    val key = "\"$name\":"
    var start = text.indexOf(key)
    require(start >= 0) { "no member $name" }
    start += key.length
    while (text[start].isWhitespace()) start++
    var depth = 0
    var inString = false
    var i = start
    while (i < text.length) {
        val c = text[i]
        if (inString) {
            if (c == '\\') i++ else if (c == '"') inString = false
        } else when (c) {
            '"' -> inString = true
            '{', '[' -> depth++
            '}', ']' -> { depth--; if (depth == 0) return text.substring(start, i + 1) }
        }
        i++
    }
    error("unterminated member $name")
}
