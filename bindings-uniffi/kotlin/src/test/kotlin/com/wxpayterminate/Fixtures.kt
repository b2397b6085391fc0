package com.wxpayterminate

import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import org.json.JSONArray
import org.json.JSONObject
import java.io.File

/** The shared vectors and keys, located through system properties set by the Maven build. */
object Fixtures {
    val root: File = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val vectors: File = File(System.getProperty("vectors.dir") ?: File(root, "tests/vectors").path)
    val keys = File(vectors, "keys")
    val clients = JSONObject(File(vectors, "clients.json").readText())

    /** The core's message for every error case, pinned for cross-language parity. */
    val messages = JSONObject(File(vectors, "messages.json").readText())

    fun key(name: String): String = File(keys, name).readText()

    fun str(o: JSONObject, name: String): String? = if (!o.has(name) || o.isNull(name)) null else o.getString(name)

    /** A clients.json-shaped object as the core's ClientConfig (key files read from keys/). */
    fun config(c: JSONObject): ClientConfig {
        val privateKey = str(c, "private_key")?.let(::key) ?: str(c, "private_key_text")
        val certificates = c.optJSONArray("platform_certificates")?.let { a -> (0 until a.length()).map { key(a.getString(it)) } } ?: emptyList()
        return ClientConfig(
            mchid = str(c, "mchid") ?: "",
            serialNo = str(c, "serial_no") ?: "",
            privateKey = privateKey,
            wechatpayPublicKeyId = str(c, "wechatpay_public_key_id"),
            wechatpayPublicKey = str(c, "wechatpay_public_key")?.let(::key),
            platformCertificates = certificates,
            apiv3Key = str(c, "apiv3_key"),
            baseUrl = str(c, "base_url"),
            globalBaseUrl = str(c, "global_base_url"),
        )
    }

    fun client(name: String): Client = Client(config(clients.getJSONObject(name)))

    fun pairs(a: JSONArray): List<Header> = (0 until a.length()).map { val p = a.getJSONArray(it); Header(p.getString(0), p.getString(1)) }
}

/** The kind name a class stands for (`InvalidInput` → `invalid_input`); null for `Other`. */
fun WxpayException.classKind(): String? = when (this) {
    is WxpayException.Other -> null
    else -> this::class.java.simpleName.replace(Regex("([a-z])([A-Z])"), "$1_$2").lowercase()
}

/** The kind name of an exception, as the core names it (`record()` works on the sealed base). */
fun WxpayException.kind(): String = record().kind
