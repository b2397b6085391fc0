package com.wxpayterminate

import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail
import java.io.File
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * No panic crosses the FFI (bindings-uniffi/src/lib.rs, `guard`): a panic inside the core — here the
 * core's test hook `panicForTest` — is `WxpayException.Internal`, never uniffi's `InternalException`,
 * and the client that panicked keeps signing and verifying exactly as before.
 */
class PanicTest {
    private val panicked = "wxpay-terminate panicked: please report this as a bug"
    private val requestCase = JSONObject(File(Fixtures.vectors, "cases/request/papay_v1_timestamp_doc_pubkey.json").readText())
    private val responseCase = JSONObject(File(Fixtures.vectors, "cases/response/combine_papay_200_pubkey.json").readText())

    /** The hook's exception, caught as the base class, then checked to be exactly `Internal`. */
    private fun panicOf(client: Client): WxpayException.Internal {
        val caught: WxpayException = try {
            client.panicForTest()
            fail("the test hook returned")
        } catch (e: WxpayException) {
            e
        }
        val e = caught as? WxpayException.Internal ?: fail("expected WxpayException.Internal, got ${caught::class.java.name}: $caught")
        assertEquals("internal", e.record.kind)
        assertEquals(panicked, e.message)
        assertEquals(panicked, e.record.message)
        assertNull(e.record.field)
        assertEquals(false, e.record.retryable)
        assertEquals("internal", e.classKind())
        return e
    }

    /** The vector's request, built by `client` and compared with the oracle's, field by field. */
    private fun buildsTheVectorRequest(client: Client) {
        val expect = requestCase.getJSONObject("expect")
        val want = expect.getJSONObject("request")
        val req = client.sign(client.unsignedById(
            requestCase.getString("operation"), requestCase.getJSONObject("params").toString(),
            requestCase.getLong("timestamp"), requestCase.getString("nonce"),
        ))
        assertEquals(requestCase.getString("operation"), req.operation)
        assertEquals(want.getString("method"), req.method)
        assertEquals(want.getString("url"), req.url)
        assertEquals(expect.getString("authorization"), req.headers.single { it.name == "Authorization" }.value)
        val headers = req.headers.associate { it.name.lowercase() to it.value }
        val wantHeaders = want.getJSONObject("headers")
        assertEquals(wantHeaders.keySet().map { it.lowercase() }.toSet() + "user-agent", headers.keys)
        for (name in wantHeaders.keySet()) assertEquals(wantHeaders.getString(name), headers[name.lowercase()], name)
        assertArrayEquals(want.getString("body").toByteArray(), req.body)
    }

    /** The vector's response, verified by `client`, gives the oracle's result. */
    private fun verifiesTheVectorResponse(client: Client) {
        val r = responseCase.getJSONObject("response")
        val parsed = client.parseById(
            Fixtures.str(responseCase, "operation"), r.getInt("status").toUShort(), Fixtures.pairs(r.getJSONArray("headers")),
            r.getString("body").toByteArray(), responseCase.getLong("now"),
        )
        val ok = responseCase.getJSONObject("expect").getJSONObject("ok")
        assertEquals(ok.getInt("status"), parsed.status.toInt())
        assertEquals(Fixtures.str(ok, "request_id"), parsed.requestId)
        assertEquals(true, JSONObject(parsed.json).similar(ok.getJSONObject("data")), parsed.json)
    }

    @Test
    fun aPanicIsTheInternalErrorAndTheSameClientStillWorks() {
        assertEquals(requestCase.getString("client"), responseCase.getString("client"))
        val client = Fixtures.client(requestCase.getString("client"))
        buildsTheVectorRequest(client)
        repeat(3) { panicOf(client) }
        buildsTheVectorRequest(client)
        verifiesTheVectorResponse(client)
        panicOf(client)
        verifiesTheVectorResponse(client)
        buildsTheVectorRequest(client)
    }

    @Test
    fun panicsOnManyThreadsLeaveTheSharedClientUsable() {
        val client = Fixtures.client(requestCase.getString("client"))
        val pool = Executors.newFixedThreadPool(8)
        try {
            val results = (0 until 32).map { i ->
                pool.submit(Callable {
                    if (i % 2 == 0) panicOf(client).record.kind else { buildsTheVectorRequest(client); verifiesTheVectorResponse(client); "ok" }
                })
            }.map { it.get(60, TimeUnit.SECONDS) }
            assertEquals(List(32) { if (it % 2 == 0) "internal" else "ok" }, results)
        } finally {
            pool.shutdownNow()
        }
        buildsTheVectorRequest(client)
        verifiesTheVectorResponse(client)
    }
}
