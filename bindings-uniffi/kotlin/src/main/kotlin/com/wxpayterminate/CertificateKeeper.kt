package com.wxpayterminate

import com.wxpayterminate.catalog.CertificateSet
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Host
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.RequestRecord
import java.net.http.HttpClient
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import java.util.function.Consumer

/** Something that verifies bytes already received (`client.parse(…)`), for [CertificateKeeper.verifyWithRefresh]. */
fun interface Verification<T> {
    @Throws(WxpayException::class)
    fun verify(): T
}

/**
 * Keeps a client's platform certificates current with `java.net.http` — the host side of the
 * certificate download. The core decides *when* (`certificatesRefreshDue`) and does the
 * cryptography (`parseCertificates`, `updateCertificates`); this sends the download and
 * verifies an answer whose `Wechatpay-Serial` was new again:
 *
 * ```kotlin
 * val keeper = CertificateKeeper(client)
 * keeper.refreshIfDue()                      // at start, then from a timer: keeper.start()
 * val parsed = keeper.parse(req, response)   // response: HttpResponse<ByteArray> of WxpayJava.send
 * val n = keeper.parseNotification(headers, body)
 * ```
 *
 * A [WxpayException.UnknownSerial] from [parse], [parseById], [parseNotification] (or any
 * [Verification] given to [verifyWithRefresh]) makes the keeper download once and verify **the
 * same bytes** again: the request itself is never sent twice. Downloads caused by unknown serials
 * are at most one per [minInterval] (60 s), so a forged serial cannot make the host hammer the
 * endpoint — unless the serial is already known by then (another thread's download).
 * Thread-safe: one download at a time.
 */
class CertificateKeeper @JvmOverloads constructor(
    val client: Client,
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
    private val host: Host = Host.API,
    private val minInterval: Duration = Duration.ofSeconds(60),
    /** Called with each installed set (e.g. to store the PEMs for the next process start). */
    private val onUpdate: Consumer<CertificateSet>? = null,
) : AutoCloseable {
    private val lock = Any()
    private var lastUnknownRefresh: Long? = null // System.nanoTime()
    private val downloadCount = AtomicInteger()
    private var timer: ScheduledExecutorService? = null

    /** Downloads made by this keeper (for logs and tests). */
    val downloads: Int get() = downloadCount.get()

    /** Downloads, verifies and installs the certificates now, whatever the policy says. */
    @Throws(WxpayException::class)
    fun refresh(): CertificateSet = synchronized(lock) { download() }

    /** Downloads when `client.certificatesRefreshDue()` says so; true if it did. */
    @Throws(WxpayException::class)
    fun refreshIfDue(): Boolean = synchronized(lock) {
        if (!client.certificatesRefreshDue()) return false
        download()
        true
    }

    /** Asks [refreshIfDue] every `interval` on a daemon thread until [close]; a failed download
     *  is tried again at the next tick. */
    @JvmOverloads
    fun start(interval: Duration = Duration.ofMinutes(1)): CertificateKeeper = synchronized(lock) {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor { r -> Thread(r, "wxpay-certificates").apply { isDaemon = true } }
                .also { it.scheduleWithFixedDelay({ runCatching { refreshIfDue() } }, 0, interval.toMillis(), TimeUnit.MILLISECONDS) }
        }
        this
    }

    override fun close() {
        synchronized(lock) { timer?.shutdownNow(); timer = null }
    }

    /** `verification.verify()`; on [WxpayException.UnknownSerial] downloads once and calls it again.
     *  The second error, if any, is thrown. Nothing but the download is sent. */
    @Throws(WxpayException::class)
    fun <T> verifyWithRefresh(verification: Verification<T>): T {
        try {
            return verification.verify()
        } catch (e: WxpayException.UnknownSerial) {
            if (!refreshFor(e.record.serial)) throw e
        }
        return verification.verify()
    }

    /** `client.parse` of an answer, downloading once if it names a new certificate. */
    @Throws(WxpayException::class)
    fun parse(request: RequestRecord, response: HttpResponse<ByteArray>): Parsed =
        verifyWithRefresh { WxpayJava.parse(client, request, response) }

    /** `client.parseById` (JSON text) of an answer, downloading once if it names a new certificate. */
    @Throws(WxpayException::class)
    fun parseJson(request: RequestRecord, response: HttpResponse<ByteArray>): JsonResult =
        verifyWithRefresh { WxpayJava.parseJson(client, request, response) }

    /** `client.parseNotification`, downloading once if it names a new certificate. */
    @Throws(WxpayException::class)
    fun parseNotification(headers: List<Header>, body: ByteArray): Notification =
        verifyWithRefresh { client.parseNotification(headers, body) }

    /** The same, from a header map (`HttpExchange.getRequestHeaders()`, a servlet's). */
    @Throws(WxpayException::class)
    fun parseNotification(headers: Map<String, List<String>>, body: ByteArray): Notification =
        parseNotification(WxpayJava.headers(headers), body)

    /** Whether the serial may be known now: downloaded, or already there (another thread). */
    private fun refreshFor(serial: String?): Boolean = synchronized(lock) {
        if (serial != null && client.verificationSerials().any { it.equals(serial, ignoreCase = true) }) return true
        val now = System.nanoTime()
        val last = lastUnknownRefresh
        if (last != null && now - last < minInterval.toNanos()) return false
        lastUnknownRefresh = now
        download()
        true
    }

    private fun download(): CertificateSet {
        val request = client.sign(client.unsignedCertificates(host))
        val response = WxpayJava.send(http, request)
        downloadCount.incrementAndGet()
        val set = WxpayJava.parseCertificates(client, response.statusCode(), response.headers().map(), response.body())
        client.updateCertificates(set)
        onUpdate?.accept(set)
        return set
    }
}
