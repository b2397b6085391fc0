package com.wxpayterminate

import com.wxpayterminate.catalog.ClientConfig
import java.io.File
import java.io.IOException
import java.net.Authenticator
import java.net.CookieHandler
import java.net.ProxySelector
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.Optional
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import org.json.JSONObject

/** tests/sandbox/server.py on a free loopback port, its control endpoints, and a client of merchant 1900007291. */
class SandboxServer(vararg args: String) : AutoCloseable {
    private val process: Process
    val baseUrl: String
    private val control: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
    private val plan = JSONObject(File(Fixtures.root, "tests/sandbox/e2e_plan.json").readText())
    val mchid: String = plan.getJSONObject("merchant").getString("mchid")

    init {
        val python = System.getProperty("sandbox.python") ?: "python3"
        process = ProcessBuilder(python, File(Fixtures.root, "tests/sandbox/server.py").path, "--port", "0", *args)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = process.inputStream.bufferedReader().readLine() ?: error("sandbox did not start")
        require(line.startsWith("SANDBOX_URL=")) { "sandbox said: $line" }
        baseUrl = line.substringAfter('=')
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }

    fun control(method: String, path: String, body: JSONObject? = null): JSONObject {
        val request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it.toString()) } ?: HttpRequest.BodyPublishers.noBody())
            .build()
        val response = control.send(request, HttpResponse.BodyHandlers.ofString())
        require(response.statusCode() in 200..299) { "$method $path → ${response.statusCode()} ${response.body()}" }
        return if (response.body().isBlank()) JSONObject() else JSONObject(response.body())
    }

    fun post(path: String, body: JSONObject = JSONObject()) = control("POST", path, body)

    fun reset() = post("/sandbox/reset")

    fun record(id: String): JSONObject {
        val records = control("GET", "/sandbox/state").getJSONArray("records")
        return (0 until records.length()).map { records.getJSONObject(it) }.first { it.getString("id") == id }
    }

    fun state(id: String): String = record(id).getString("state")

    fun ledger(): JSONObject = control("GET", "/sandbox/ledger")

    fun ledger(id: String): JSONObject = ledger().getJSONObject("contracts").getJSONObject(id)

    fun apiv3Key(): String {
        val merchants = control("GET", "/sandbox/merchants").getJSONArray("merchants")
        return (0 until merchants.length()).map { merchants.getJSONObject(it) }.first { it.getString("mchid") == mchid }.getString("apiv3_key")
    }

    fun client(apiv3Key: String? = null): Client {
        val m = plan.getJSONObject("merchant")
        val file = { path: String -> File(Fixtures.root, path).readText() }
        return Client(ClientConfig(
            mchid = mchid,
            serialNo = m.getString("serial_no"),
            privateKey = file(m.getString("private_key")),
            wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
            wechatpayPublicKey = file(m.getString("wechatpay_public_key")),
            platformCertificates = m.getJSONArray("platform_certificates").map { file(it as String) },
            apiv3Key = apiv3Key,
            baseUrl = baseUrl,
            globalBaseUrl = baseUrl,
        ))
    }
}

/**
 * A `java.net.http` client that adds `X-Sandbox-Fault: faults[n]` to the n-th request it sends (null:
 * none) and records `(method, fault or "-")` of each — the Kotlin twin of the Python suite's `faulty_send`.
 * Everything else is the real client's.
 */
class FaultyHttp(private val faults: List<String?>, private val delegate: HttpClient = HttpClient.newHttpClient()) : HttpClient() {
    private val sent = mutableListOf<Pair<String, String>>()

    val calls: List<Pair<String, String>> get() = synchronized(sent) { sent.toList() }
    val methods: List<String> get() = calls.map { it.first }

    private fun withFault(request: HttpRequest): HttpRequest {
        val fault = synchronized(sent) {
            faults.getOrNull(sent.size).also { sent.add(request.method() to (it ?: "-")) }
        } ?: return request
        return HttpRequest.newBuilder(request) { _, _ -> true }.header("X-Sandbox-Fault", fault).build()
    }

    @Throws(IOException::class, InterruptedException::class)
    override fun <T> send(request: HttpRequest, handler: HttpResponse.BodyHandler<T>): HttpResponse<T> =
        delegate.send(withFault(request), handler)

    override fun <T> sendAsync(request: HttpRequest, handler: HttpResponse.BodyHandler<T>): CompletableFuture<HttpResponse<T>> =
        delegate.sendAsync(withFault(request), handler)

    override fun <T> sendAsync(request: HttpRequest, handler: HttpResponse.BodyHandler<T>, push: HttpResponse.PushPromiseHandler<T>?): CompletableFuture<HttpResponse<T>> =
        delegate.sendAsync(withFault(request), handler, push)

    override fun cookieHandler(): Optional<CookieHandler> = delegate.cookieHandler()
    override fun connectTimeout(): Optional<Duration> = delegate.connectTimeout()
    override fun followRedirects(): Redirect = delegate.followRedirects()
    override fun proxy(): Optional<ProxySelector> = delegate.proxy()
    override fun sslContext(): SSLContext = delegate.sslContext()
    override fun sslParameters(): SSLParameters = delegate.sslParameters()
    override fun authenticator(): Optional<Authenticator> = delegate.authenticator()
    override fun version(): Version = delegate.version()
    override fun executor(): Optional<Executor> = delegate.executor()
}
