package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.NotificationResource
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
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/**
 * Platform-certificate rotation against the sandbox, with [CertificateKeeper]: a client that knows
 * no certificate (only the WeChat Pay public key) talking to a merchant the sandbox answers with
 * certificates only. Each new `Wechatpay-Serial` — on a response or on a notification — costs one
 * download and a second verification of the same bytes; the terminate itself is never resent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateRotationTest {
    private val plan = JSONObject(File(Fixtures.root, "tests/sandbox/e2e_plan.json").readText())
    private val m = plan.getJSONObject("merchant")
    private val mchid = m.getString("mchid")
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
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        require(response.statusCode() in 200..299) { "$method $path → ${response.statusCode()} ${response.body()}" }
        return if (response.body().isBlank()) JSONObject() else JSONObject(response.body())
    }

    private fun post(path: String, body: JSONObject) = control("POST", path, body.toString())

    /** Only the public key is configured: every certificate this client will know it downloads. */
    private fun client(): Client {
        val merchants = JSONObject(File(Fixtures.root, "tests/sandbox/merchants.json").readText()).getJSONArray("merchants")
        val apiv3Key = (0 until merchants.length()).map { merchants.getJSONObject(it) }.first { it.getString("mchid") == mchid }.getString("apiv3_key")
        val file = { path: String -> File(Fixtures.root, path).readText() }
        return Client(ClientConfig(
            mchid = mchid,
            serialNo = m.getString("serial_no"),
            privateKey = file(m.getString("private_key")),
            wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
            wechatpayPublicKey = file(m.getString("wechatpay_public_key")),
            apiv3Key = apiv3Key,
            baseUrl = baseUrl,
        ))
    }

    private fun signer(): String = control("GET", "/sandbox/certificates").getString("signer")

    private fun log(): List<JSONObject> = control("GET", "/sandbox/log").getJSONArray("requests").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }

    @Test
    fun rotationCostsOneDownloadPerNewSerialAndNoResend() {
        post("/sandbox/reset", JSONObject())
        // The sandbox signs this merchant's answers and notifications with its platform certificate
        // even though the client's requests name the public key (a merchant from before the key existed).
        post("/sandbox/merchants/$mchid/certificate-mode", JSONObject().put("certificate_mode", "certificates_only"))
        val client = client()
        // minInterval 0: three new serials within seconds are all legitimate here.
        val keeper = CertificateKeeper(client, http, minInterval = Duration.ZERO)
        assertTrue(client.certificates().isEmpty())
        assertFalse(client.certificatesRefreshDue(), "nothing is due before an unknown serial")
        assertFalse(keeper.refreshIfDue())

        // 1. The committed certificate signs the first answer: unknown → one download → the same bytes verify.
        val first = signer()
        val req1 = client.terminatePapayContract(WxpayJava.terminatePapayContract(12535, "wxwtdk20200910100000", "rotation"))
        val resp1 = WxpayJava.send(http, req1)
        assertEquals(first, resp1.headers().firstValue("Wechatpay-Serial").orElse(null))
        val unknown = assertThrows<WxpayException.UnknownSerial> { WxpayJava.parse(client, req1, resp1) }
        assertEquals(unknown.record.message, unknown.message)
        assertTrue(client.certificatesRefreshDue(), "an unknown serial makes a download due")
        val parsed1 = keeper.parse(req1, resp1)
        val contract1 = (parsed1.data as? AnyOutput.PapayContract)?.v1 ?: error("expected a papay contract, got ${parsed1.data}")
        assertEquals(12535uL to "wxwtdk20200910100000", contract1.planId to contract1.outContractCode)
        assertEquals(resp1.headers().firstValue("Request-ID").orElse(null), parsed1.requestId)
        assertEquals(1, keeper.downloads)
        assertEquals(listOf(first), client.certificates().map { it.serialNo })
        assertFalse(client.certificatesRefreshDue())

        // 2. Rotate and activate: the next answer is signed by the new certificate → one more download.
        post("/sandbox/certificates/rotate", JSONObject())
        val second = post("/sandbox/certificates/activate", JSONObject()).getString("signer")
        assertTrue(second != first)
        val req2 = WxpayJava.prepareJson(client, "terminate_password_exempt_contract",
            mapOf("service_id" to 12535L, "out_contract_code" to "wxwtdk20200910100000", "contract_termination_remark" to "rotation"))
        val resp2 = WxpayJava.send(http, req2)
        assertEquals(second, resp2.headers().firstValue("Wechatpay-Serial").orElse(null))
        val json2 = keeper.parseJson(req2, resp2)
        assertEquals(200, json2.status)
        assertEquals("wxwtdk20200910100000", JSONObject(json2.json).getString("out_contract_code"))
        assertEquals(2, keeper.downloads)
        assertEquals(setOf(first, second), client.certificates().map { it.serialNo }.toSet())

        // A known serial costs nothing.
        val req3 = client.sign(client.unsignedById("terminate_eduschoolpay_contract", """{"contract_id":"2045011120563805041758214605"}"""))
        assertTrue(keeper.parse(req3, WxpayJava.send(http, req3)).data is AnyOutput.NoContent)
        assertEquals(2, keeper.downloads)

        // 3. Rotate and activate again: the next notification is signed by the newest certificate.
        post("/sandbox/certificates/rotate", JSONObject())
        val third = post("/sandbox/certificates/activate", JSONObject()).getString("signer")
        val received = LinkedBlockingQueue<Triple<Notification?, Int, String?>>()
        val notify = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        notify.createContext("/wxpay/notify") { exchange ->
            exchange.use {
                val body = it.requestBody.readAllBytes()
                val serial = it.requestHeaders.getFirst("Wechatpay-Serial")
                val (notification, reply) = try {
                    keeper.parseNotification(it.requestHeaders, body) to WxpayJava.notificationAck()
                } catch (e: WxpayException) {
                    null to WxpayJava.notificationNack("verification failed")
                }
                reply.headers.forEach { h -> it.responseHeaders.add(h.name, h.value) }
                it.sendResponseHeaders(WxpayJava.status(reply), reply.body.size.toLong())
                it.responseBody.write(reply.body)
                received.add(Triple(notification, WxpayJava.status(reply), serial))
            }
        }
        notify.start()
        try {
            post("/sandbox/merchants/$mchid/notify-url", JSONObject().put("notify_url", "http://127.0.0.1:${notify.address.port}/wxpay/notify"))
            post("/sandbox/contracts/terminate", JSONObject().put("contract", "papay:12535:wxwtdk20200910100001").put("mode", "USER_TERMINATE"))
            val (notification, status, serial) = received.poll(15, TimeUnit.SECONDS) ?: error("no notification arrived")
            assertEquals(third, serial, "the notification is signed by the newest certificate")
            assertEquals(200, status, "the first delivery is acknowledged")
            val resource = notification?.resource as? NotificationResource.PapayTerminated ?: error("expected ENTRUST.TERMINATE, got $notification")
            assertEquals("wxwtdk20200910100001", resource.v1.outContractCode)
            assertEquals("USER_TERMINATE", resource.v1.contractTerminateInfo?.contractTerminationMode)
            assertEquals(3, keeper.downloads)
            assertEquals(setOf(first, second, third), client.certificates().map { it.serialNo }.toSet())
        } finally {
            post("/sandbox/merchants/$mchid/notify-url", JSONObject().put("notify_url", JSONObject.NULL))
            notify.stop(0)
        }

        // 4. A forged serial right after a download: the keeper does not download again within
        //    minInterval, and the error surfaces.
        val guarded = CertificateKeeper(client, http) // minInterval 60 s
        val req4 = WxpayJava.prepareJson(client, "terminate_combine_papay_contract",
            mapOf("plan_id" to 12535L, "out_contract_code" to "combine2024010100001", "contract_termination_remark" to "rotation"))
        val forged1 = http.send(WxpayJava.jdkRequest(req4).let { JdkRequest.newBuilder(it) { _, _ -> true }.header("X-Sandbox-Fault", "unknown_serial").build() },
            HttpResponse.BodyHandlers.ofByteArray())
        assertThrows<WxpayException.UnknownSerial> { guarded.parse(req4, forged1) } // downloads once, still unknown
        assertEquals(1, guarded.downloads)
        assertThrows<WxpayException.UnknownSerial> { guarded.parse(req4, forged1) } // within 60 s: no download
        assertEquals(1, guarded.downloads)

        // The sandbox's log: every terminate was sent exactly once; exactly 4 downloads.
        val entries = log()
        val terminates = entries.filter { it.optString("operation") != "download_certificates" }
        assertEquals(4, terminates.size, terminates.toString())
        assertEquals(terminates.size, terminates.map { it.getString("path") }.toSet().size, "a terminate was resent: $terminates")
        assertEquals(terminates.size, terminates.map { it.getString("operation") to it.getString("nonce") }.toSet().size)
        assertEquals(4, entries.count { it.optString("operation") == "download_certificates" })
        post("/sandbox/reset", JSONObject())
    }
}
