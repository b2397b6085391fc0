package com.wxpayterminate

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import java.io.File
import java.util.Base64

/** Every file of tests/vectors/cases through the Kotlin API, exactly as in Rust. */
class VectorsTest {
    private val files: List<File> = File(Fixtures.vectors, "cases").walkTopDown().filter { it.isFile && it.extension == "json" }.sortedBy { it.path }.toList()
    /** A case and its file text (org.json does not keep key order, which a JSON body needs). */
    class Case(val json: JSONObject, val text: String)

    private val runners: Map<String, (Case) -> Unit> = mapOf(
        "signing" to ::signing,
        "request" to ::request,
        "request_generic" to ::request,
        "request_error" to ::requestError,
        "client_error" to ::clientError,
        "response" to ::response,
    )

    @Test
    fun everyVectorFileHasARunner() {
        assertTrue(files.size >= 100, "only ${files.size} vector files")
        val unknown = files.map { JSONObject(it.readText()).getString("type") }.toSet() - runners.keys
        assertTrue(unknown.isEmpty(), "vector types without a Kotlin runner: $unknown")
    }

    @TestFactory
    fun vectors(): List<DynamicTest> = files.map { file ->
        val name = file.relativeTo(File(Fixtures.vectors, "cases")).path.removeSuffix(".json")
        DynamicTest.dynamicTest(name) {
            val text = file.readText()
            val case = Case(JSONObject(text), text)
            val runner = runners[case.json.getString("type")] ?: fail("no Kotlin runner for ${case.json.getString("type")}")
            runner(case)
        }
    }

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
            val unsigned = client.requestUnsigned(call, case.getLong("timestamp"), case.getString("nonce"))
            unsigned.stringToSign().also { assertEquals(expect.getString("string_to_sign"), String(it)) }
        }
        assertEquals(expect.getString("signature"), signMessage(Fixtures.key(case.getString("key")), message))
    }

    private fun build(client: Client, c: Case): HttpRequest {
        val case = c.json
        return if (case.has("operation") && !case.isNull("operation")) {
            client.prepareJson(case.getString("operation"), case.getJSONObject("params").toString(), case.getLong("timestamp"), case.optString("nonce"))
        } else {
            client.request(apiCall(c), case.getLong("timestamp"), case.getString("nonce"))
        }
    }

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

        // Two-phase signing with the oracle's signature gives the same descriptor.
        val unsigned = if (case.has("operation") && !case.isNull("operation")) {
            client.prepareJsonUnsigned(case.getString("operation"), case.getJSONObject("params").toString(), case.getLong("timestamp"), case.getString("nonce"))
        } else {
            client.requestUnsigned(apiCall(c), case.getLong("timestamp"), case.getString("nonce"))
        }
        assertEquals(expect.getString("string_to_sign"), String(unsigned.stringToSign()))
        val completed = unsigned.complete(expect.getString("signature"))
        assertEquals(req.url, completed.url)
        assertEquals(req.headers, completed.headers)
        assertTrue(req.body.contentEquals(completed.body))
    }

    private fun checkError(e: WxpayException, want: JSONObject) {
        assertEquals(want.getString("kind"), e.kind(), e.message)
        if (want.has("field")) assertEquals(want.getString("field"), (e as WxpayException.InvalidInput).field)
        if (e is WxpayException.Api) {
            if (want.has("status")) assertEquals(want.getInt("status"), e.status.toInt())
            if (want.has("code")) assertEquals(if (want.isNull("code")) null else want.getString("code"), e.code)
            if (want.has("message")) assertEquals(if (want.isNull("message")) null else want.getString("message"), e.apiMessage)
            if (want.has("request_id")) assertEquals(if (want.isNull("request_id")) null else want.getString("request_id"), e.requestId)
            if (want.has("retryable")) assertEquals(want.getBoolean("retryable"), e.retryable)
            if (want.has("detail")) {
                val detail = want.get("detail")
                if (detail == JSONObject.NULL) assertNull(e.detailJson) else assertTrue(JSONObject(e.detailJson).similar(detail), e.detailJson)
            }
        } else if (want.has("retryable")) {
            assertEquals(false, want.getBoolean("retryable"))
        }
        assertTrue("MII" !in e.message.orEmpty() && "KEY-----" !in e.message.orEmpty())
    }

    private fun requestError(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val e = assertThrows<WxpayException> { build(client, c) }
        checkError(e, case.getJSONObject("expect").getJSONObject("error"))
    }

    private fun clientError(c: Case) {
        val case = c.json
        val e = assertThrows<WxpayException> { Client(Fixtures.config(case.getJSONObject("config"))) }
        checkError(e, case.getJSONObject("expect").getJSONObject("error"))
    }

    private fun response(c: Case) {
        val case = c.json
        val client = Fixtures.client(case.getString("client"))
        val r = case.getJSONObject("response")
        val body = if (r.has("body")) r.getString("body").toByteArray() else Base64.getDecoder().decode(r.getString("body_base64"))
        val operation = if (case.isNull("operation")) null else case.getString("operation")
        val expect = case.getJSONObject("expect")
        val call = { client.parseJson(operation, r.getInt("status").toUShort(), Fixtures.pairs(r.getJSONArray("headers")), body, case.getLong("now")) }
        if (expect.has("ok")) {
            val ok = expect.getJSONObject("ok")
            val parsed = call()
            assertEquals(ok.getInt("status"), parsed.status.toInt())
            assertEquals(if (ok.isNull("request_id")) null else ok.getString("request_id"), parsed.requestId)
            val data = ok.get("data")
            when {
                data == JSONObject.NULL -> assertNull(parsed.json)
                data is JSONObject -> assertTrue(JSONObject(parsed.json).similar(data), "${parsed.json} != $data")
                data is JSONArray -> assertTrue(JSONArray(parsed.json).similar(data))
                else -> assertEquals(data.toString(), parsed.json)
            }
        } else {
            checkError(assertThrows<WxpayException> { call() }, expect.getJSONObject("error"))
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
