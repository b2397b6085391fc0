package com.wxpayterminate

import com.sun.jna.Platform
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The Java facade's own logic (the Java route itself runs in consumer/AllOperations.java). */
class WxpayJavaTest {
    @Test
    fun theLibraryComesFromTheClasspathNotAPath() {
        assertNull(System.getProperty("jna.library.path"))
        assertNotNull(javaClass.classLoader.getResource("${Platform.RESOURCE_PREFIX}/libwxpay_terminate_uniffi.so"))
        assertEquals(32, generateNonce().length) // loads the library
    }

    @Test
    fun jsonFromJavaValues() {
        val json = WxpayJava.toJson(linkedMapOf(
            "s" to "引号\"\\\n\u0001", "i" to 12535, "l" to Long.MAX_VALUE, "d" to 2.0, "b" to true, "n" to null,
            "list" to listOf(1, "x"), "map" to mapOf("k" to arrayOf("v")),
        ))
        assertEquals("""{"s":"引号\"\\\n\u0001","i":12535,"l":9223372036854775807,"d":2,"b":true,"n":null,"list":[1,"x"],"map":{"k":["v"]}}""", json)
        assertThrows<IllegalArgumentException> { WxpayJava.toJson(Double.NaN) }
        assertThrows<IllegalArgumentException> { WxpayJava.toJson(mapOf(1 to 2)) }
    }

    @Test
    fun theMapRouteAndTheTypedFactorySignTheSameRequest() {
        val client = Fixtures.client("doc_pubkey")
        val typed = client.terminatePapayContract(WxpayJava.terminatePapayContract(12535, "wxwtdk20200910100000", "用户解约"), 1700000000, "N0NCE")
        val byMap = WxpayJava.prepareJson(client, "terminate_papay_contract",
            mapOf("plan_id" to 12535L, "out_contract_code" to "wxwtdk20200910100000", "contract_termination_remark" to "用户解约"), 1700000000, "N0NCE")
        assertEquals(typed.url, byMap.url)
        assertEquals(typed.headers, byMap.headers)
        assertArrayEquals(typed.body, byMap.body)
        assertEquals(12535L, WxpayJava.planId(WxpayJava.terminatePapayContract(12535, "a", "b")))
        assertThrows<IllegalArgumentException> { WxpayJava.terminatePapayContract(-1, "a", "b") }
        val e = assertThrows<WxpayException.InvalidInput> { WxpayJava.prepareJson(client, "terminate_papay_contract", mapOf("plan_id" to "x")) }
        assertEquals(e.record.message, e.message)
    }

    @Test
    fun notificationRepliesAndStatuses() {
        assertEquals(200, WxpayJava.status(WxpayJava.notificationAck()))
        assertEquals(500, WxpayJava.status(WxpayJava.notificationNack("later")))
        assertThrows<IllegalArgumentException> {
            WxpayJava.parseJson(Fixtures.client("doc_pubkey"), WxpayJava.prepareJson(Fixtures.client("doc_pubkey"), "terminate_edu_papay_contract", mapOf("contract_id" to "1")), 70000, emptyMap(), ByteArray(0))
        }
    }
}
