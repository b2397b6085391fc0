package com.wxpayterminate

import com.sun.jna.Memory
import com.sun.jna.NativeLibrary
import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.ByteArrayInputStream
import java.io.File
import java.net.URLClassLoader
import java.security.KeyFactory
import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature
import java.security.cert.CertificateFactory
import java.security.cert.X509Certificate
import java.security.spec.PKCS8EncodedKeySpec
import java.util.Base64
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import org.json.JSONArray
import org.json.JSONObject

/**
 * `make bench`, Kotlin part: the binding (JNA into the native library) interleaved in this JVM
 * with the JDK (`Signature.getInstance("SHA256withRSA")`, the fastest signer on a stock JVM, and
 * AES/GCM/NoPadding), org.json for JSON, and OpenSSL through JNA ([BenchOpenSsl]). The scheme
 * is tests/bench/common.py's: per figure a first estimate of calls per slice, discarded warm-up
 * rounds (C2 compiles; they set calls per slice), then ROUNDS rounds alternating the variants
 * slice by slice; µs per call per round as wall time, CPU time of this thread (the figure used
 * for the ratios) and CPU time of the process (kept in the JSON). This thread, not the process:
 * JNA frees the binding's native buffers on its cleaner thread, which on two busy cores falls
 * behind (millions of pending `Memory` cleaners, a 1–1.6 GB live heap within seconds, young-GC
 * pauses of 100–300 ms every second), and those pauses and that thread's work land at random on
 * whichever variant runs. GC pause time per figure is recorded next to it.
 * Writes target/bench/kotlin.json, and the test classpath for the cold-start runs.
 */
private val env = System.getenv()
private val ROUNDS = env["WXPAY_BENCH_ROUNDS"]?.toInt() ?: 15
private val BATCH = env["WXPAY_BENCH_BATCH_S"]?.toDouble() ?: 0.3
private val SLICE = env["WXPAY_BENCH_SLICE_S"]?.toDouble() ?: 0.01
private val WARMUP = env["WXPAY_BENCH_WARMUP_S"]?.toDouble() ?: 1.0
private val WARMUP_ROUNDS = env["WXPAY_BENCH_WARMUP_ROUNDS"]?.toInt() ?: 3

private object Clock {
    private val clockGettime = NativeLibrary.getInstance("c").getFunction("clock_gettime")
    private val timespec = Memory(16)

    /** CPU time of the whole process, ns. */
    fun cpuNs(): Long {
        clockGettime.invokeInt(arrayOf(2 /* CLOCK_PROCESS_CPUTIME_ID */, timespec))
        return timespec.getLong(0) * 1_000_000_000L + timespec.getLong(8)
    }
}

/** Results land here so the JIT cannot drop the calls. */
@Volatile
private var sink: Any? = null

private val threads = java.lang.management.ManagementFactory.getThreadMXBean()

/** Wall, this thread's CPU and the process's CPU (ns) of `calls` calls. */
private fun slice(fn: () -> Any?, calls: Int): Triple<Long, Long, Long> {
    val process = Clock.cpuNs()
    val thread = threads.currentThreadCpuTime
    val wall = System.nanoTime()
    for (i in 0 until calls) sink = fn()
    return Triple(System.nanoTime() - wall, threads.currentThreadCpuTime - thread, Clock.cpuNs() - process)
}

private fun gcMillis(): Long = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().sumOf { maxOf(0L, it.collectionTime) }

private fun interleave(title: String, command: String, variants: LinkedHashMap<String, () -> Any?>): JSONObject {
    val names = variants.keys.toList()
    val k = names.size
    val slices = maxOf(1, Math.round(BATCH / SLICE).toInt())
    // A first estimate of calls per slice (and the first C1/C2 compiles).
    var perSlice = names.associateWith { name ->
        val fn = variants.getValue(name)
        val start = System.nanoTime()
        var n = 0
        while (System.nanoTime() - start < WARMUP * 1e9 || n < 3) {
            sink = fn()
            n++
        }
        maxOf(1, Math.round(SLICE / ((System.nanoTime() - start) / 1e9 / n)).toInt())
    }
    fun round(r: Int): Triple<Map<String, Long>, Map<String, Long>, Map<String, Long>> {
        val wall = names.associateWith { 0L }.toMutableMap()
        val cpu = names.associateWith { 0L }.toMutableMap()
        val process = names.associateWith { 0L }.toMutableMap()
        for (j in 0 until slices) {
            for (i in 0 until k) {
                val name = names[(i + r + j) % k]
                val (w, c, p) = slice(variants.getValue(name), perSlice.getValue(name))
                wall[name] = wall.getValue(name) + w
                cpu[name] = cpu.getValue(name) + c
                process[name] = process.getValue(name) + p
            }
        }
        return Triple(wall, cpu, process)
    }
    // Warm-up rounds, discarded: the JIT settles in the interleaved regime; calls per slice from the last.
    for (r in 0 until WARMUP_ROUNDS) {
        val (wall, _, _) = round(r)
        if (r == WARMUP_ROUNDS - 1) {
            perSlice = names.associateWith { n ->
                maxOf(1, Math.round(SLICE * 1e9 / (wall.getValue(n).toDouble() / (perSlice.getValue(n) * slices))).toInt())
            }
        }
    }
    val wallUs = names.associateWith { mutableListOf<Double>() }
    val cpuUs = names.associateWith { mutableListOf<Double>() }
    val processUs = names.associateWith { mutableListOf<Double>() }
    val first = mutableListOf<String>()
    val gcBefore = gcMillis()
    val started = System.nanoTime()
    for (r in 0 until ROUNDS) {
        val (wall, cpu, process) = round(r)
        for (name in names) {
            val calls = perSlice.getValue(name).toDouble() * slices
            wallUs.getValue(name) += wall.getValue(name) / calls / 1000
            cpuUs.getValue(name) += cpu.getValue(name) / calls / 1000
            processUs.getValue(name) += process.getValue(name) / calls / 1000
        }
        first += names[r % k]
    }
    val gcMs = gcMillis() - gcBefore
    val roundsMs = (System.nanoTime() - started) / 1_000_000
    val median = { xs: List<Double> -> xs.sorted()[xs.size / 2] }
    println("$title: " + names.joinToString { "$it ${"%.2f".format(median(cpuUs.getValue(it)))} µs" } +
        " (thread CPU, median); GC pauses ${gcMs} ms in ${roundsMs} ms")
    val out = JSONObject()
    out.put("title", title)
    out.put("command", command)
    val vs = JSONObject()
    for (name in names) {
        vs.put(name, JSONObject()
            .put("calls_per_slice", perSlice.getValue(name))
            .put("slices", slices)
            .put("us", JSONArray(wallUs.getValue(name)))
            .put("cpu_us", JSONArray(cpuUs.getValue(name)))
            .put("process_cpu_us", JSONArray(processUs.getValue(name))))
    }
    out.put("variants", vs)
    out.put("first", JSONArray(first))
    out.put("gc_pause_ms", gcMs)
    out.put("rounds_ms", roundsMs)
    return out
}

private fun pemDer(pem: String): ByteArray =
    Base64.getMimeDecoder().decode(pem.lines().filter { !it.startsWith("-----") }.joinToString(""))

private fun jdkSign(key: PrivateKey, message: ByteArray): String =
    Signature.getInstance("SHA256withRSA").run {
        initSign(key)
        update(message)
        Base64.getEncoder().encodeToString(sign())
    }

private fun jdkVerify(key: PublicKey, signature: ByteArray, message: ByteArray): Boolean =
    Signature.getInstance("SHA256withRSA").run {
        initVerify(key)
        update(message)
        verify(signature)
    }

private class SignedCase(root: File, relative: String, part: String) {
    val case = JSONObject(File(root, "tests/vectors/cases/$relative").readText())
    val headers = Fixtures.pairs(case.getJSONObject(part).getJSONArray("headers"))
    val body = case.getJSONObject(part).getString("body").toByteArray()
    val now = case.getLong("now")
    private fun header(name: String) = headers.first { it.name.equals(name, ignoreCase = true) }.value
    val message = "${header("Wechatpay-Timestamp")}\n${header("Wechatpay-Nonce")}\n".toByteArray() + body + "\n".toByteArray()
    val signature: ByteArray = Base64.getDecoder().decode(header("Wechatpay-Signature"))
}

fun main() {
    val root = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val keys = File(root, "tests/vectors/keys")
    val privatePem = File(keys, "merchant_go_pkcs8.pem").readText()
    val certAPem = File(keys, "platform_cert_a.pem").readText()
    val apiv3Key = JSONObject(File(root, "tests/vectors/clients.json").readText()).getJSONObject("go_platform").getString("apiv3_key")
    val client = Client(ClientConfig(
        mchid = "1234567890",
        serialNo = "F5765756002FDD77",
        privateKey = privatePem,
        platformCertificates = listOf(certAPem, File(keys, "platform_cert_b.pem").readText()),
        apiv3Key = apiv3Key,
    ))
    val op = AnyOperation.TerminatePapayContract(TerminatePapayContract(12535uL, "wxwtdk20200910100000", "用户解约"))
    val openssl = BenchOpenSsl(privatePem, certAPem)
    val jdkKey = KeyFactory.getInstance("RSA").generatePrivate(PKCS8EncodedKeySpec(pemDer(privatePem)))
    val certKey = (CertificateFactory.getInstance("X.509").generateCertificate(ByteArrayInputStream(certAPem.toByteArray())) as X509Certificate).publicKey
    val message = client.unsigned(op, 1700000000L, "N").let { u -> u.stringToSign().also { u.destroy() } }
    val figures = JSONObject()

    figures.put("sign", interleave(
        "build and sign one terminate request",
        "client.prepare(AnyOperation.TerminatePapayContract(…), ts, nonce) | Signature.getInstance(\"SHA256withRSA\") sign + Base64 | EVP_DigestSign (libcrypto via JNA)",
        linkedMapOf(
            "wxpay-terminate" to { client.prepare(op, 1700000000L, "N") },
            "jdk" to { jdkSign(jdkKey, message) },
            "openssl" to { openssl.sign(message) },
        ),
    ))
    figures.put("unsigned", interleave(
        "build an unsigned request (everything but RSA)",
        "client.unsigned(op, ts, nonce).destroy() | client.certificatesRefreshDue(now)",
        linkedMapOf(
            "wxpay-terminate" to { client.unsigned(op, 1700000000L, "N").destroy() },
            "baseline" to { client.certificatesRefreshDue(1700000000L) },
        ),
    ))

    val r = SignedCase(root, "response/papay_200_cert_a.json", "response")
    check(jdkVerify(certKey, r.signature, r.message) && openssl.verify(r.signature, r.message))
    val request = client.prepare(op, 1700000000L, "N")
    figures.put("parse_verify", interleave(
        "parse and verify a signed 200 response",
        "client.parse(request, 200u, headers, body, now) | JDK SHA256withRSA verify + org.json JSONObject(body) | EVP_DigestVerify (JNA) + org.json",
        linkedMapOf(
            "wxpay-terminate" to { client.parse(request, 200u, r.headers, r.body, r.now) },
            "jdk+org.json" to {
                check(jdkVerify(certKey, r.signature, r.message))
                JSONObject(String(r.body))
            },
            "openssl+org.json" to {
                check(openssl.verify(r.signature, r.message))
                JSONObject(String(r.body))
            },
        ),
    ))

    val n = SignedCase(root, "notification/entrust_terminate_direct_cert_a.json", "notification")
    val aesKey = SecretKeySpec(apiv3Key.toByteArray(), "AES")
    figures.put("notification", interleave(
        "parse, verify and decrypt a notification",
        "client.parseNotification(headers, body, now) | JDK SHA256withRSA verify + AES/GCM/NoPadding + org.json",
        linkedMapOf(
            "wxpay-terminate" to { client.parseNotification(n.headers, n.body, n.now) },
            "jdk+org.json" to {
                check(jdkVerify(certKey, n.signature, n.message))
                val resource = JSONObject(String(n.body)).getJSONObject("resource")
                val cipher = Cipher.getInstance("AES/GCM/NoPadding")
                cipher.init(Cipher.DECRYPT_MODE, aesKey, GCMParameterSpec(128, resource.getString("nonce").toByteArray()))
                cipher.updateAAD(resource.optString("associated_data", "").toByteArray())
                JSONObject(String(cipher.doFinal(Base64.getDecoder().decode(resource.getString("ciphertext")))))
            },
        ),
    ))

    val out = File(root, "target/bench").apply { mkdirs() }
    val doc = JSONObject()
        .put("language", "kotlin")
        .put("rounds", ROUNDS).put("batch_seconds", BATCH).put("slice_seconds", SLICE).put("warmup_seconds", WARMUP).put("warmup_rounds", WARMUP_ROUNDS)
        .put("openssl", openssl.version)
        .put("jvm", "${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}")
        .put("figures", figures)
    File(out, "kotlin.json").writeText(doc.toString(2) + "\n")
    // The test classpath (exec:java's class loader), for fresh JVMs in tests/bench/cold_start.py.
    val urls = generateSequence(Thread.currentThread().contextClassLoader) { it.parent }
        .filterIsInstance<URLClassLoader>().flatMap { it.urLs.asSequence() }
        .map { File(it.toURI()).path }.distinct().toList()
    File(out, "kotlin-classpath.txt").writeText(urls.joinToString(File.pathSeparator) + "\n")
}
