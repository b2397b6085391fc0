package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.File
import org.json.JSONObject

/** `make bench`, Kotlin part: µs per call on the JVM through JNA, median of batches. */
fun main() {
    val root = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val keys = File(root, "tests/vectors/keys")
    val client = Client(ClientConfig(
        mchid = "1234567890",
        serialNo = "F5765756002FDD77",
        privateKey = File(keys, "merchant_go_pkcs8.pem").readText(),
        platformCertificates = listOf(File(keys, "platform_cert_a.pem").readText(), File(keys, "platform_cert_b.pem").readText()),
    ))
    val op = AnyOperation.TerminatePapayContract(TerminatePapayContract(12535uL, "wxwtdk20200910100000", "用户解约"))

    fun perCall(batch: Int, batches: Int = 9, warmup: Int = 3000, fn: () -> Unit): Double {
        repeat(warmup) { fn() }
        val samples = (1..batches).map {
            val start = System.nanoTime()
            repeat(batch) { fn() }
            (System.nanoTime() - start) / batch / 1000.0
        }
        return samples.sorted()[batches / 2]
    }

    val case = JSONObject(File(root, "tests/vectors/cases/response/papay_200_cert_a.json").readText())
    val r = case.getJSONObject("response")
    val headers = Fixtures.pairs(r.getJSONArray("headers"))
    val body = r.getString("body").toByteArray()
    val request = client.prepare(op, 1700000000L, "N")
    val results = linkedMapOf(
        "kotlin_sign_us" to perCall(200) { client.prepare(op, 1700000000L, "N") },
        "kotlin_prepare_unsigned_us" to perCall(2000) { client.unsigned(op, 1700000000L, "N").destroy() },
        "kotlin_parse_verify_us" to perCall(1000) { client.parse(request, 200u, headers, body, case.getLong("now")) },
    )
    val out = File(root, "target/bench").apply { mkdirs() }
    File(out, "kotlin.json").writeText(JSONObject(results as Map<*, *>).toString(2) + "\n")
    results.forEach { (k, v) -> println("kotlin: $k = ${"%.2f".format(v)}") }
}
