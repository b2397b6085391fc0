package com.wxpayterminate

import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * A ClientConfig may be logged; its key material never is (patch-generated.sh gives the generated
 * data class a redacting toString). The other options still show, so a log stays useful.
 */
class ConfigRedactionTest {
    @Test
    fun `a config prints its options and redacts every key`() {
        val config = Fixtures.config(Fixtures.clients.getJSONObject("migration"))
        val text = config.toString()
        assertTrue(text.startsWith("ClientConfig(") && "mchid=${config.mchid}" in text, text)
        assertTrue("wechatpayPublicKeyId=${config.wechatpayPublicKeyId}" in text, text)
        assertTrue("privateKey=<redacted>" in text && "apiv3Key=<redacted>" in text, text)
        assertTrue("platformCertificates=<redacted>" in text, text)
        assertFalse("PRIVATE KEY" in text || "MII" in text, text)
        assertFalse(config.apiv3Key!! in text, text)
        // A data class still: equality and copies are untouched.
        assertTrue(config == config.copy())
    }
}
