package com.wxpayterminate

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Notification
import org.json.JSONArray
import org.json.JSONObject
import com.sun.management.HotSpotDiagnosticMXBean
import java.io.File
import java.lang.management.ManagementFactory
import java.io.IOException
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/*
 * The Kotlin soak client, the twin of tests/soak/client.py (tests/soak/run.py starts it with
 * `mvn -f bindings-uniffi/kotlin/pom.xml exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=com.wxpayterminate.SoakKt`): terminates every contract of $SOAK_CONTRACTS with
 * $SOAK_CONCURRENCY threads through `Termination` machines, receives the sandbox's termination
 * notifications on its own notify_url (a JDK HttpServer: verifying, acknowledging and de-duplicating
 * them, and offering each to the contract it names), samples its resident memory, and writes the
 * summary run.py checks to $SOAK_OUT. It runs inside Maven's JVM, so every thread it starts is a
 * daemon or is stopped before `main` returns.
 */

private val env: Map<String, String> = System.getenv()
private fun setting(name: String): String = env[name] ?: error("$name is not set (tests/soak/run.py sets it)")

/** The same policy as client.py. */
private const val POLICY = """{"backoff_initial_ms": 100, "backoff_max_ms": 2000, "max_terminate_sends": 12, "max_query_sends": 12}"""

private fun daemons(name: String) = ThreadFactory { work -> Thread(work, name).apply { isDaemon = true } }

/** VmRSS of this process, kB. */
private fun rssKb(): Long = File("/proc/self/status").useLines { lines ->
    lines.first { it.startsWith("VmRSS:") }.split(Regex("\\s+"))[1].toLong()
}

/**
 * VmRSS after a full collection, for the start and end figures run.py compares. Python frees an
 * object when its last reference goes, so its RSS is what it holds; a JVM keeps garbage until a
 * collection and grows its heap with the allocation rate (this one is Maven's: up to a quarter of the
 * machine's memory, starting at a 64th). With MaxHeapFreeRatio lowered (a manageable flag, set once
 * here) a full collection gives the free heap back to the OS, so what remains is what the process
 * holds — a leak (retained objects, native memory of the core) still shows. The periodic samples
 * (`max`) are taken as they come, without a collection.
 */
private val heapGivesBackFreeMemory: Unit by lazy {
    runCatching {
        val vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean::class.java)
        vm.setVMOption("MinHeapFreeRatio", "0")
        vm.setVMOption("MaxHeapFreeRatio", "10")
    }.onFailure { System.err.println("soak: heap free ratios unchanged ($it): start/end RSS include free heap") }
    Unit
}

private fun settledRssKb(): Long {
    heapGivesBackFreeMemory
    System.gc()
    Thread.sleep(200) // the Cleaner frees the native side of collected objects on its own thread
    return rssKb()
}

private class Soak {
    val url = setting("SANDBOX_URL")
    val timeout: Duration = Duration.ofMillis((env["SOAK_TIMEOUT_MS"] ?: "1000").toLong())
    val client = Client(ClientConfig(
        mchid = setting("SOAK_MCHID"),
        serialNo = setting("SOAK_SERIAL_NO"),
        privateKey = File(setting("SOAK_PRIVATE_KEY_FILE")).readText(),
        wechatpayPublicKeyId = setting("SOAK_PUBLIC_KEY_ID"),
        wechatpayPublicKey = setting("SOAK_PUBLIC_KEY"),
        apiv3Key = setting("SOAK_APIV3_KEY"),
        baseUrl = url,
        globalBaseUrl = url,
    ))
    val policy = confirmPolicyFromJson(POLICY)
    val contracts: List<JSONObject> = JSONArray(File(setting("SOAK_CONTRACTS")).readText(Charsets.UTF_8)).map { it as JSONObject }

    /** out_contract_code → its machine, while undecided. */
    val machines = ConcurrentHashMap<String, Termination>()
    val lock = Any()
    val seenNotifications = HashSet<String>()
    var received = 0
    var unique = 0
    var rejected = 0
    var confirmedAContract = 0
    val requestsSent = AtomicInteger()

    /** One HTTP/1.1 client for every thread (pooled connections), as java.net.http is meant to be used. */
    val http: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
        .executor(Executors.newCachedThreadPool(daemons("soak-http"))).build()

    fun receive(exchange: HttpExchange) = exchange.use {
        val body = it.requestBody.readAllBytes()
        val headers = it.requestHeaders.flatMap { (name, values) -> values.map { v -> Header(name, v) } }
        val n = try {
            client.parseNotification(headers, body)
        } catch (e: WxpayException) {
            null
        }
        answer(it, if (n != null) notificationAck() else notificationNack("verification failed"), n)
    }

    private fun answer(exchange: HttpExchange, reply: com.wxpayterminate.catalog.NotificationReply, n: Notification?) {
        reply.headers.forEach { h -> exchange.responseHeaders.add(h.name, h.value) }
        exchange.sendResponseHeaders(reply.status.toInt(), reply.body.size.toLong())
        exchange.responseBody.write(reply.body)
        exchange.responseBody.close()
        synchronized(lock) {
            received += 1
            if (n == null) rejected += 1
        }
        if (n == null) return
        val machine = synchronized(lock) {
            // WeChat Pay re-delivers: acknowledged again, processed once.
            if (!seenNotifications.add(n.id)) return
            unique += 1
            val code = JSONObject(notificationJson(n)).optJSONObject("resource")?.optString("out_contract_code", "") ?: ""
            machines[code]
        }
        val confirmed = try {
            machine != null && machine.onNotification(n)
        } catch (e: IllegalStateException) {
            false // the machine finished (and was closed) since it was looked up: nothing left to confirm
        }
        if (confirmed) synchronized(lock) { confirmedAContract += 1 }
    }

    fun send(request: com.wxpayterminate.catalog.RequestRecord): HttpResponse<ByteArray> {
        requestsSent.incrementAndGet()
        return WxpayJava.send(http, request, timeout)
    }

    fun terminate(contract: JSONObject): JSONObject {
        val params = contract.getJSONObject("params")
        val machine = Termination(contract.getString("operation"), params.toString(), null, policy)
        val code = params.getString("out_contract_code")
        machines[code] = machine
        var step: TerminationStep
        while (true) {
            step = machine.next(client)
            if (step is TerminationStep.Done) break
            if (step is TerminationStep.Wait) {
                val ms = step.untilMs - System.currentTimeMillis()
                if (ms > 0) Thread.sleep(ms)
                continue
            }
            val send = step as TerminationStep.Send
            val response = try {
                send(send.request)
            } catch (e: IOException) { // a timeout, a reset, a refused connection: no answer
                machine.onTransportError()
                continue
            }
            machine.onResponse(client, response.statusCode().toUShort(), WxpayJava.headers(response.headers().map()), response.body())
        }
        machines.remove(code)
        machine.close() // its native side now, not when a collection finds it
        val outcome = (step as TerminationStep.Done).outcome
        val evidence = outcome.evidence
        if (!outcome.confirmed) {
            System.err.println("soak: ${contract.getString("id")} not confirmed after ${outcome.terminateSends} terminate and " +
                "${outcome.querySends} query sends: ${outcome.reason} (${outcome.error?.kind} ${outcome.error?.status ?: ""} ${outcome.error?.code ?: ""})")
        }
        return JSONObject()
            .put("id", contract.getString("id"))
            .put("kind", outcome.kind.name.lowercase())
            .put("source", evidence?.source?.name?.lowercase() ?: JSONObject.NULL)
            .put("request_id", evidence?.requestId ?: JSONObject.NULL)
    }

    fun register(notifyUrl: String) {
        val request = HttpRequest.newBuilder(URI.create("$url/sandbox/merchants/${setting("SOAK_MCHID")}/notify-url"))
            .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSONObject().put("notify_url", notifyUrl).toString())).build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "notify-url: ${response.statusCode()} ${response.body()}" }
    }

    fun run() {
        val receivers: ExecutorService = Executors.newCachedThreadPool(daemons("soak-notify"))
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/notify", ::receive)
        server.executor = receivers
        server.start()
        val pool = Executors.newFixedThreadPool((env["SOAK_CONCURRENCY"] ?: "16").toInt(), daemons("soak-terminate"))
        val stop = CountDownLatch(1)
        try {
            register("http://127.0.0.1:${server.address.port}/notify")
            val samples = Collections.synchronizedList(mutableListOf<Long>())
            Thread({ while (!stop.await(500, TimeUnit.MILLISECONDS)) samples += rssKb() }, "soak-rss").apply { isDaemon = true }.start()
            val started = System.nanoTime()
            val outcomes = JSONArray()
            var startRss: Long? = null
            val futures = contracts.map { contract -> pool.submit<JSONObject> { terminate(contract) } }
            for ((i, future) in futures.withIndex()) {
                outcomes.put(future.get())
                if (startRss == null && i >= contracts.size / 10) startRss = settledRssKb() // after warm-up: the first tenth
            }
            Thread.sleep(1500) // the last notifications
            stop.countDown()
            val endRss = settledRssKb()
            val maxRss = synchronized(samples) { samples.maxOrNull() } ?: endRss
            val notifications = synchronized(lock) {
                JSONObject().put("received", received).put("unique", unique).put("rejected", rejected)
                    .put("confirmed_a_contract", confirmedAContract)
            }
            val summary = JSONObject()
                .put("language", "kotlin")
                .put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0)
                .put("requests", requestsSent.get())
                .put("outcomes", outcomes)
                .put("notifications", notifications)
                .put("rss_kb", JSONObject().put("start", startRss ?: endRss).put("end", endRss).put("max", maxOf(maxRss, endRss)))
            File(setting("SOAK_OUT")).writeText(summary.toString(), Charsets.UTF_8)
        } finally {
            stop.countDown()
            server.stop(0)
            pool.shutdownNow()
            receivers.shutdownNow()
        }
    }
}

fun main() = Soak().run()
