package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.NotificationResource
import com.wxpayterminate.catalog.PapayTerminated
import com.wxpayterminate.catalog.RequestRecord
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

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

    /** The Request-ID the sandbox answered `req` with, from its request log (found by the request's nonce). */
    private fun requestIdOf(req: RequestRecord): String {
        val nonce = req.headers.single { it.name == "Authorization" }.value.substringAfter("nonce_str=\"").substringBefore('"')
        val log = control("GET", "/sandbox/log").getJSONArray("requests")
        val entries = (0 until log.length()).map { log.getJSONObject(it) }.filter { it.optString("nonce") == nonce }
        assertEquals(1, entries.size, "log entries for nonce $nonce: $entries")
        return entries.single().getString("request_id")
    }

    private fun state(record: String): String {
        val records = control("GET", "/sandbox/state").getJSONArray("records")
        return (0 until records.length()).map { records.getJSONObject(it) }.first { it.getString("id") == record }.getString("state")
    }

    private fun client(): Client = Client(config(null))

    private fun config(apiv3Key: String?): ClientConfig {
        val m = plan.getJSONObject("merchant")
        val file = { path: String -> File(Fixtures.root, path).readText() }
        return ClientConfig(
            mchid = m.getString("mchid"),
            serialNo = m.getString("serial_no"),
            privateKey = file(m.getString("private_key")),
            wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
            wechatpayPublicKey = file(m.getString("wechatpay_public_key")),
            platformCertificates = m.getJSONArray("platform_certificates").map { file(it as String) },
            apiv3Key = apiv3Key,
            baseUrl = baseUrl,
            globalBaseUrl = baseUrl,
        )
    }

    /** The example from the README: send the descriptor with java.net.http, parse the answer. */
    private fun send(client: Client, req: RequestRecord): ParsedJson {
        val builder = JdkRequest.newBuilder(URI.create(req.url)).timeout(Duration.ofSeconds(10))
        // java.net.http manages these two itself.
        req.headers.filter { it.name !in setOf("Content-Length", "Host") }.forEach { builder.header(it.name, it.value) }
        builder.method(req.method, req.body?.let { JdkRequest.BodyPublishers.ofByteArray(it) } ?: JdkRequest.BodyPublishers.noBody())
        val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
        val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
        return client.parseById(req.operation, response.statusCode().toUShort(), headers, response.body())
    }

    @TestFactory
    fun terminations(): List<DynamicTest> = plan.getJSONArray("terminations").map { it as JSONObject }.map { step ->
        DynamicTest.dynamicTest(step.getString("operation")) {
            control("POST", "/sandbox/reset")
            val client = client()
            assertEquals("EFFECTIVE", state(step.getString("record")))
            val req = client.sign(client.unsignedById(step.getString("operation"), step.getJSONObject("params").toString()))
            val parsed = send(client, req)
            assertEquals(step.getInt("status"), parsed.status.toInt())
            assertEquals(requestIdOf(req), parsed.requestId)
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
            val req = client.sign(client.unsignedById(step.getString("operation"), step.getJSONObject("params").toString()))
            if (!step.isNull("fault")) control("POST", "/sandbox/faults", JSONObject().put("fault", step.getString("fault")).put("count", 1).toString())
            val e = assertThrows<WxpayException> { send(client, req) }
            val want = step.getJSONObject("error")
            assertEquals(want.getString("kind"), e.kind())
            assertEquals(want.getString("kind"), e.classKind(), e::class.java.name)
            assertEquals(e.record().message, e.message)
            if (e is WxpayException.Api) {
                assertEquals(want.getInt("status"), e.record.status?.toInt())
                assertEquals(want.getString("code"), e.record.code)
                assertEquals(want.getBoolean("retryable"), e.record.retryable)
                assertEquals(requestIdOf(req), e.record.requestId)
            }
        }
    }

    /** The README's notify_url on the JDK HttpServer: the sandbox's signed, encrypted deliveries. */
    @Test
    fun notificationsAfterAMerchantAndAUserTermination() {
        control("POST", "/sandbox/reset")
        val m = plan.getJSONObject("merchant")
        val mchid = m.getString("mchid")
        val merchants = JSONObject(File(Fixtures.root, "tests/sandbox/merchants.json").readText()).getJSONArray("merchants")
        val apiv3Key = (0 until merchants.length()).map { merchants.getJSONObject(it) }.first { it.getString("mchid") == mchid }.getString("apiv3_key")
        val client = Client(config(apiv3Key))
        val received = LinkedBlockingQueue<Notification>()
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/wxpay/notify") { exchange ->
            exchange.use {
                val headers = it.requestHeaders.flatMap { (name, values) -> values.map { v -> Header(name, v) } }
                val body = it.requestBody.readAllBytes()
                val reply = try {
                    received.add(client.parseNotification(headers, body))
                    notificationAck()
                } catch (e: WxpayException) {
                    notificationNack("verification failed")
                }
                reply.headers.forEach { h -> it.responseHeaders.add(h.name, h.value) }
                it.sendResponseHeaders(reply.status.toInt(), reply.body.size.toLong())
                it.responseBody.write(reply.body)
            }
        }
        server.start()
        try {
            control("POST", "/sandbox/merchants/$mchid/notify-url", JSONObject().put("notify_url", "http://127.0.0.1:${server.address.port}/wxpay/notify").toString())
            fun papay(n: Notification?): PapayTerminated = when (val r = n?.resource) {
                is NotificationResource.PapayTerminated -> r.v1
                else -> error("expected an ENTRUST.TERMINATE notification, got $n")
            }

            val req = client.terminatePapayContract(TerminatePapayContract(12535uL, "wxwtdk20200910100000", "e2e"))
            assertEquals(200, send(client, req).status.toInt())
            val merchant = papay(received.poll(10, TimeUnit.SECONDS))
            assertEquals("wxwtdk20200910100000", merchant.outContractCode)
            assertEquals("MCH_API_TERMINATE", merchant.contractTerminateInfo?.contractTerminationMode)

            control("POST", "/sandbox/contracts/terminate", JSONObject().put("contract", "papay:12535:wxwtdk20200910100001").toString())
            val user = papay(received.poll(10, TimeUnit.SECONDS))
            assertEquals("wxwtdk20200910100001", user.outContractCode)
            assertEquals("USER_TERMINATE", user.contractTerminateInfo?.contractTerminationMode)
        } finally {
            control("POST", "/sandbox/merchants/$mchid/notify-url", JSONObject().put("notify_url", JSONObject.NULL).toString())
            server.stop(0)
        }
    }

    @Test
    fun planCoversEveryTermination() {
        // The plan lists the 19 terminations (the operations a query confirms); the catalog's queries
        // are sent by ConfirmE2ETest, confirming terminations.
        val ops = JSONObject(catalogJson()).getJSONArray("operations").map { it as JSONObject }
            .filter { !it.isNull("confirm_with") }.map { it.getString("id") }.toSet()
        assertEquals(19, ops.size)
        assertEquals(ops, plan.getJSONArray("terminations").map { (it as JSONObject).getString("operation") }.toSet())
    }

    private fun contains(actual: JSONObject, want: JSONObject): Boolean = want.keySet().all { key ->
        val w = want.get(key)
        actual.has(key) && if (w is JSONObject) contains(actual.getJSONObject(key), w) else actual.get(key).toString() == w.toString()
    }
}
