package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.NotificationResource
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpResponse
import java.util.concurrent.ArrayBlockingQueue
import java.util.concurrent.TimeUnit
import java.net.http.HttpRequest as JdkRequest

/** Notifications in Kotlin: typed resources, the exact replies, and a JDK HttpServer receiving one. */
class NotificationTest {
    private class Vector(name: String) {
        val json = JSONObject(File(Fixtures.vectors, "cases/notification/$name.json").readText())
        val client = Fixtures.client(json.getString("client"))
        val headers = Fixtures.pairs(json.getJSONObject("notification").getJSONArray("headers"))
        val body = json.getJSONObject("notification").getString("body").toByteArray()
        val now = json.getLong("now")
        val ok: JSONObject? = json.getJSONObject("expect").optJSONObject("ok")
    }

    @Test
    fun ackIsExactly200WithTheSuccessBody() {
        val ack = notificationAck()
        assertEquals(200, ack.status.toInt())
        assertEquals(listOf(Header("Content-Type", "application/json")), ack.headers)
        assertArrayEquals("""{"code":"SUCCESS","message":"成功"}""".toByteArray(Charsets.UTF_8), ack.body)
    }

    @Test
    fun nackIsExactly500WithTheFailBodyAndChecksItsMessage() {
        val nack = notificationNack("系统繁忙，请稍后重试")
        assertEquals(500, nack.status.toInt())
        assertEquals(listOf(Header("Content-Type", "application/json")), nack.headers)
        assertArrayEquals("""{"code":"FAIL","message":"系统繁忙，请稍后重试"}""".toByteArray(Charsets.UTF_8), nack.body)
        // JSON escaping is the core's: quotes and backslashes stay valid JSON.
        assertEquals("a \"b\" \\c", JSONObject(String(notificationNack("a \"b\" \\c").body)).getString("message"))
        for (bad in listOf("", "x".repeat(65), "line\nbreak")) {
            val e = assertThrows<WxpayException.InvalidInput> { notificationNack(bad) }
            assertEquals("message", e.record.field)
            assertEquals(e.record.message, e.message)
        }
        assertEquals(500, notificationNack("解".repeat(64)).status.toInt())
    }

    @Test
    fun aTypedNotificationIsASealedResource() {
        val v = Vector("entrust_terminate_direct_cert_a")
        val n = v.client.parseNotification(v.headers, v.body, v.now)
        assertEquals("ENTRUST.TERMINATE", n.eventType)
        assertEquals("0d668cfa-3d74-5b29-9af1-82873c6105ad", n.id)
        assertEquals("entrust", n.originalType)
        val contract = when (val r = n.resource) {
            is NotificationResource.PapayTerminated -> r.v1
            else -> fail("expected PapayTerminated, got $r")
        }
        assertEquals("Wx15463511252015071056489715", contract.contractId)
        assertEquals(12535uL, contract.planId)
        assertEquals("TERMINATED", contract.contractState)
        assertEquals("USER_TERMINATE", contract.contractTerminateInfo?.contractTerminationMode)
        assertEquals(2990L, contract.deductSchedule?.estimatedDeductAmount?.total)
        assertTrue(JSONObject(notificationJson(n)).similar(v.ok))
    }

    @Test
    fun anUntypedEventIsOtherWithItsPlaintext() {
        val v = Vector("generic_entrust_sign_cert_a")
        val n = v.client.parseNotification(v.headers, v.body, v.now)
        val plaintext = when (val r = n.resource) {
            is NotificationResource.Other -> r.plaintextJson
            else -> fail("expected Other, got $r")
        }
        assertTrue(JSONObject(plaintext).similar(v.ok!!.getJSONObject("resource")))
    }

    @Test
    fun withoutAnApiv3KeyNotificationsAreAnInvalidKeyError() {
        val v = Vector("entrust_terminate_direct_cert_a")
        val keyless = Client(Fixtures.config(Fixtures.clients.getJSONObject(v.json.getString("client"))).apply { apiv3Key = null })
        val e = assertThrows<WxpayException.InvalidKey> { keyless.parseNotification(v.headers, v.body, v.now) }
        assertEquals("invalid_key", e.record.kind)
        assertEquals("apiv3_key", e.record.field)
        assertEquals(e.record.message, e.message)
        // A wrong-length key is refused when the client is made.
        val short = assertThrows<WxpayException.InvalidKey> {
            Client(Fixtures.config(Fixtures.clients.getJSONObject("doc_pubkey")).apply { apiv3Key = "too short" })
        }
        assertEquals("apiv3_key", short.record.field)
    }

    @Test
    fun aTamperedNotificationIsRejectedWithItsOwnClass() {
        val v = Vector("entrust_terminate_direct_cert_a")
        val tampered = String(v.body).replace("解约成功", "解约失败").toByteArray()
        val e = assertThrows<WxpayException.InvalidSignature> { v.client.parseNotification(v.headers, tampered, v.now) }
        assertEquals(e.record.message, e.message)
        val wrongKey = Client(Fixtures.config(Fixtures.clients.getJSONObject(v.json.getString("client"))).apply { apiv3Key = "0".repeat(32) })
        assertThrows<WxpayException.Decryption> { wrongKey.parseNotification(v.headers, v.body, v.now) }
    }

    /** The README's quick start: a notify_url on the JDK's HttpServer, fed a vector over loopback. */
    @Test
    fun aJdkHttpServerReceivesVerifiesAndAcks() {
        val v = Vector("entrust_terminate_direct_cert_a")
        val client = v.client
        val received = ArrayBlockingQueue<NotificationResource>(1)
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/wxpay/notify") { exchange ->
            exchange.use {
                val headers = it.requestHeaders.flatMap { (name, values) -> values.map { value -> Header(name, value) } }
                val body = it.requestBody.readAllBytes() // the raw bytes: never re-serialise
                val reply = try {
                    val n = client.parseNotification(headers, body, v.now) // production: omit `now` (host clock)
                    received.offer(n.resource) // hand off; de-duplicate on n.id; reply within 5 s
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
            val http = HttpClient.newHttpClient()
            val url = URI.create("http://127.0.0.1:${server.address.port}/wxpay/notify")
            fun post(body: ByteArray): HttpResponse<String> {
                val request = JdkRequest.newBuilder(url).POST(JdkRequest.BodyPublishers.ofByteArray(body))
                // java.net.http sets these itself.
                v.headers.filter { it.name !in setOf("Content-Length", "Host") }.forEach { request.header(it.name, it.value) }
                return http.send(request.build(), HttpResponse.BodyHandlers.ofString())
            }
            val ok = post(v.body)
            assertEquals(200, ok.statusCode())
            assertEquals("""{"code":"SUCCESS","message":"成功"}""", ok.body())
            // Exactly the resource the client parses from the vector itself.
            assertEquals(client.parseNotification(v.headers, v.body, v.now).resource, received.poll(5, TimeUnit.SECONDS))

            val forged = post(String(v.body).replace("解约成功", "解约失败").toByteArray())
            assertEquals(500, forged.statusCode())
            assertEquals("""{"code":"FAIL","message":"verification failed"}""", forged.body())
            assertNull(received.poll())
        } finally {
            server.stop(0)
        }
    }
}
