package com.wxpayterminate

import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.TimeUnit

/** tests/sandbox/e2e_plan.json over real HTTP with java.net.http, against the local sandbox. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxE2ETest {
    private val plan = JSONObject(File(Fixtures.root, "tests/sandbox/e2e_plan.json").readText())
    private lateinit var server: Process
    private lateinit var baseUrl: String
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    @BeforeAll
    fun startSandbox() {
        val python = System.getProperty("sandbox.python") ?: "python3"
        server = ProcessBuilder(python, File(Fixtures.root, "tests/sandbox/server.py").path, "--port", "0")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = server.inputStream.bufferedReader().readLine() ?: error("sandbox did not start")
        require(line.startsWith("SANDBOX_URL=")) { "sandbox said: $line" }
        baseUrl = line.substringAfter('=')
    }

    @AfterAll
    fun stopSandbox() {
        server.destroy()
        if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }

    private fun control(method: String, path: String, body: String? = null): JSONObject {
        val request = JdkRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(method, body?.let { JdkRequest.BodyPublishers.ofString(it) } ?: JdkRequest.BodyPublishers.noBody())
            .build()
        val text = http.send(request, HttpResponse.BodyHandlers.ofString()).body()
        return if (text.isBlank()) JSONObject() else JSONObject(text)
    }

    private fun state(record: String): String {
        val records = control("GET", "/sandbox/state").getJSONArray("records")
        return (0 until records.length()).map { records.getJSONObject(it) }.first { it.getString("id") == record }.getString("state")
    }

    private fun client(): Client {
        val m = plan.getJSONObject("merchant")
        val file = { path: String -> File(Fixtures.root, path).readText() }
        return Client(ClientConfig(
            mchid = m.getString("mchid"),
            serialNo = m.getString("serial_no"),
            privateKeyPem = file(m.getString("private_key")),
            wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
            wechatpayPublicKeyPem = file(m.getString("wechatpay_public_key")),
            platformCertificatesPem = m.getJSONArray("platform_certificates").map { file(it as String) },
            baseUrl = baseUrl,
            globalBaseUrl = baseUrl,
        ))
    }

    /** The example from the README: send the descriptor with java.net.http, parse the answer. */
    private fun send(client: Client, req: HttpRequest): ParsedJson {
        val builder = JdkRequest.newBuilder(URI.create(req.url)).timeout(Duration.ofSeconds(10))
        // java.net.http manages these two itself.
        req.headers.filter { it.name !in setOf("Content-Length", "Host") }.forEach { builder.header(it.name, it.value) }
        builder.method(req.method, req.body?.let { JdkRequest.BodyPublishers.ofByteArray(it) } ?: JdkRequest.BodyPublishers.noBody())
        val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
        val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
        return client.parseJson(req.operation, response.statusCode().toUShort(), headers, response.body())
    }

    @TestFactory
    fun terminations(): List<DynamicTest> = plan.getJSONArray("terminations").map { it as JSONObject }.map { step ->
        DynamicTest.dynamicTest(step.getString("operation")) {
            control("POST", "/sandbox/reset")
            val client = client()
            assertEquals("EFFECTIVE", state(step.getString("record")))
            val req = client.prepareJson(step.getString("operation"), step.getJSONObject("params").toString())
            val parsed = send(client, req)
            assertEquals(step.getInt("status"), parsed.status.toInt())
            assertNotNull(parsed.requestId)
            if (step.isNull("data")) {
                assertNull(parsed.json)
            } else {
                val data = JSONObject(parsed.json)
                val want = step.getJSONObject("data")
                assertTrue(contains(data, want), "$data lacks $want")
            }
            assertNotEquals("EFFECTIVE", state(step.getString("record")))
        }
    }

    @TestFactory
    fun failures(): List<DynamicTest> = plan.getJSONArray("failures").map { it as JSONObject }.map { step ->
        DynamicTest.dynamicTest(step.getString("name")) {
            control("POST", "/sandbox/reset")
            val client = client()
            val req = client.prepareJson(step.getString("operation"), step.getJSONObject("params").toString())
            if (!step.isNull("fault")) control("POST", "/sandbox/faults", JSONObject().put("fault", step.getString("fault")).put("count", 1).toString())
            val e = assertThrows<WxpayException> { send(client, req) }
            val want = step.getJSONObject("error")
            assertEquals(want.getString("kind"), e.kind())
            if (e is WxpayException.Api) {
                assertEquals(want.getInt("status"), e.status.toInt())
                assertEquals(want.getString("code"), e.code)
                assertEquals(want.getBoolean("retryable"), e.retryable)
                assertNotNull(e.requestId)
            }
        }
    }

    @Test
    fun planCoversEveryOperation() {
        val ops = JSONObject(catalogJson()).getJSONArray("operations").map { (it as JSONObject).getString("id") }.toSet()
        assertEquals(ops, plan.getJSONArray("terminations").map { (it as JSONObject).getString("operation") }.toSet())
    }

    private fun contains(actual: JSONObject, want: JSONObject): Boolean = want.keySet().all { key ->
        val w = want.get(key)
        actual.has(key) && if (w is JSONObject) contains(actual.getJSONObject(key), w) else actual.get(key).toString() == w.toString()
    }
}
