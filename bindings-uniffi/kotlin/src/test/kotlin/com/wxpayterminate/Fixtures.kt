package com.wxpayterminate

import org.json.JSONArray
import org.json.JSONObject
import java.io.File

/** The shared vectors and keys, located through system properties set by the Maven build. */
object Fixtures {
    val root: File = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val vectors: File = File(System.getProperty("vectors.dir") ?: File(root, "tests/vectors").path)
    val keys = File(vectors, "keys")
    val clients = JSONObject(File(vectors, "clients.json").readText())

    fun key(name: String): String = File(keys, name).readText()

    fun str(o: JSONObject, name: String): String? = if (o.isNull(name)) null else o.getString(name)

    /** A clients.json-shaped object as a ClientConfig. */
    fun config(c: JSONObject): ClientConfig {
        val privateKey = str(c, "private_key")?.let(::key) ?: if (c.has("private_key_text")) c.getString("private_key_text") else null
        val certificates = c.optJSONArray("platform_certificates")?.let { a -> (0 until a.length()).map { key(a.getString(it)) } } ?: emptyList()
        return ClientConfig(
            mchid = str(c, "mchid") ?: "",
            serialNo = str(c, "serial_no") ?: "",
            privateKeyPem = privateKey,
            wechatpayPublicKeyId = str(c, "wechatpay_public_key_id"),
            wechatpayPublicKeyPem = str(c, "wechatpay_public_key")?.let(::key),
            platformCertificatesPem = certificates,
            baseUrl = str(c, "base_url"),
            globalBaseUrl = str(c, "global_base_url"),
        )
    }

    fun client(name: String): Client = Client(config(clients.getJSONObject(name)))

    fun pairs(a: JSONArray): List<Header> = (0 until a.length()).map { val p = a.getJSONArray(it); Header(p.getString(0), p.getString(1)) }
}

/** The kind name of an exception, as the core names it. */
fun WxpayException.kind(): String = when (this) {
    is WxpayException.InvalidInput -> "invalid_input"
    is WxpayException.InvalidKey -> "invalid_key"
    is WxpayException.UnsignedResponse -> "unsigned_response"
    is WxpayException.InvalidSignature -> "invalid_signature"
    is WxpayException.SignatureProbe -> "signature_probe"
    is WxpayException.UnknownSerial -> "unknown_serial"
    is WxpayException.ClockSkew -> "clock_skew"
    is WxpayException.Api -> "api"
    is WxpayException.Decode -> "decode"
}
