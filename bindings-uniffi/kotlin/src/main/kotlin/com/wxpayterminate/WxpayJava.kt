package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.CertificateSet
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.ConfirmPolicy
import com.wxpayterminate.catalog.ErrorRecord
import com.wxpayterminate.catalog.Evidence
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.NotificationReply
import com.wxpayterminate.catalog.Outcome
import com.wxpayterminate.catalog.RequestRecord
import com.wxpayterminate.catalog.TerminateCombinePapayContract
import com.wxpayterminate.catalog.TerminatePapayContract
import com.wxpayterminate.catalog.TerminatePapayInsuranceContract
import com.wxpayterminate.catalog.TerminatePapayPartnerContract
import com.wxpayterminate.catalog.TerminatePasswordExemptContract
import java.math.BigDecimal
import java.math.BigInteger
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

/**
 * The Java door to the package. Kotlin's unsigned types (`ULong`, `UShort`) have no Java
 * counterpart, so a record holding one (e.g. `TerminatePapayContract.planId`) has a constructor
 * and getters Java cannot call, and so do `Client.parse`, `parseById` and `parseCertificates`
 * (their `status` is a `UShort`). Everything here takes and returns `long`/`int`, and every call
 * that can fail declares `throws WxpayException`, so Java can catch each kind by its class:
 *
 * ```java
 * ClientConfig config = WxpayJava.config("1900007291", "408B07E7…");
 * config.setPrivateKey(Files.readString(Path.of("apiclient_key.pem")));
 * config.setWechatpayPublicKeyId("PUB_KEY_ID_…");
 * config.setWechatpayPublicKey(Files.readString(Path.of("pub_key.pem")));
 * Client client = new Client(config);
 *
 * RequestRecord req = WxpayJava.prepareJson(client, "terminate_edu_papay_contract",
 *     Map.of("contract_id", "204009101000000000000001"));
 * HttpResponse<byte[]> response = WxpayJava.send(http, req);
 * try {
 *     JsonResult result = WxpayJava.parseJson(client, req, response);
 * } catch (WxpayException.Api e) {
 *     Integer status = WxpayJava.status(e.getRecord());   // e.getMessage() is the record's message
 * } catch (WxpayException e) { … }
 * ```
 *
 * Every operation of the catalog goes through [prepareJson] (operation id and its parameters by
 * their catalog names, as in the JSON body and path), so a new endpoint of the core needs nothing
 * here; the records with unsigned fields also have typed factories ([terminatePapayContract], …).
 */
object WxpayJava {
    // ---- configuration -----------------------------------------------------------------------

    /** A configuration with only the two required fields; set the others with its setters
     *  (`setPrivateKey`, `setWechatpayPublicKeyId`, `setWechatpayPublicKey`,
     *  `setPlatformCertificates`, `setApiv3Key`, `setBaseUrl`, …), then `new Client(config)`. */
    @JvmStatic
    fun config(mchid: String, serialNo: String): ClientConfig = ClientConfig(mchid = mchid, serialNo = serialNo)

    // ---- building requests -------------------------------------------------------------------

    /** Builds and signs the operation `operationId` from its parameters as a JSON object text. */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class)
    fun prepareJson(client: Client, operationId: String, paramsJson: String, timestamp: Long? = null, nonce: String? = null): RequestRecord =
        client.sign(client.unsignedById(operationId, paramsJson, timestamp, nonce))

    /** Builds and signs the operation `operationId` from a map of its parameters (values: String,
     *  Number, Boolean, null, Map, List, arrays), e.g. `Map.of("plan_id", 12535L, …)`. */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class)
    fun prepareJson(client: Client, operationId: String, params: Map<String, Any?>, timestamp: Long? = null, nonce: String? = null): RequestRecord =
        prepareJson(client, operationId, toJson(params), timestamp, nonce)

    /** `client.unsignedById` from a map: sign its `stringToSign()` elsewhere (KMS, HSM) and `complete`. */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class)
    fun unsignedJson(client: Client, operationId: String, params: Map<String, Any?>, timestamp: Long? = null, nonce: String? = null): UnsignedRequest =
        client.unsignedById(operationId, toJson(params), timestamp, nonce)

    /** Parameters of `terminate_papay_contract` (`planId` is an unsigned 64-bit number: a negative `long` is refused). */
    @JvmStatic
    fun terminatePapayContract(planId: Long, outContractCode: String, contractTerminationRemark: String): TerminatePapayContract =
        TerminatePapayContract(unsigned("planId", planId), outContractCode, contractTerminationRemark)

    /** Parameters of `terminate_password_exempt_contract`. */
    @JvmStatic
    fun terminatePasswordExemptContract(serviceId: Long, outContractCode: String, contractTerminationRemark: String): TerminatePasswordExemptContract =
        TerminatePasswordExemptContract(unsigned("serviceId", serviceId), outContractCode, contractTerminationRemark)

    /** Parameters of `terminate_papay_partner_contract`. */
    @JvmStatic
    fun terminatePapayPartnerContract(planId: Long, outContractCode: String, subMchid: String, contractTerminationRemark: String): TerminatePapayPartnerContract =
        TerminatePapayPartnerContract(unsigned("planId", planId), outContractCode, subMchid, contractTerminationRemark)

    /** Parameters of `terminate_papay_insurance_contract`. */
    @JvmStatic
    fun terminatePapayInsuranceContract(planId: Long, outContractCode: String, contractTerminationRemark: String): TerminatePapayInsuranceContract =
        TerminatePapayInsuranceContract(unsigned("planId", planId), outContractCode, contractTerminationRemark)

    /** Parameters of `terminate_combine_papay_contract`. */
    @JvmStatic
    fun terminateCombinePapayContract(planId: Long, outContractCode: String, contractTerminationRemark: String): TerminateCombinePapayContract =
        TerminateCombinePapayContract(unsigned("planId", planId), outContractCode, contractTerminationRemark)

    // ---- reading unsigned values -------------------------------------------------------------

    /** `planId` of a papay-family record as a `long`. */
    @JvmStatic fun planId(params: TerminatePapayContract): Long = params.planId.toLong()
    @JvmStatic fun serviceId(params: TerminatePasswordExemptContract): Long = params.serviceId.toLong()

    /** The HTTP status an API error carried, or null (errors before any answer). */
    @JvmStatic fun status(record: ErrorRecord): Int? = record.status?.toInt()
    @JvmStatic fun status(parsed: Parsed): Int = parsed.status.toInt()
    @JvmStatic fun status(reply: NotificationReply): Int = reply.status.toInt()

    // ---- sending and parsing (java.net.http) -------------------------------------------------

    /** Sends the request exactly as signed: method, URL, headers in order, body bytes. */
    @JvmStatic
    @JvmOverloads
    fun send(http: HttpClient, request: RequestRecord, timeout: Duration = Duration.ofSeconds(30)): HttpResponse<ByteArray> =
        http.send(jdkRequest(request, timeout), HttpResponse.BodyHandlers.ofByteArray())

    /** The `java.net.http` request for a descriptor (`Host` and `Content-Length` are set by the JDK). */
    @JvmStatic
    @JvmOverloads
    fun jdkRequest(request: RequestRecord, timeout: Duration = Duration.ofSeconds(30)): HttpRequest {
        val builder = HttpRequest.newBuilder(URI.create(request.url)).timeout(timeout)
        request.headers.filter { !it.name.equals("Host", true) && !it.name.equals("Content-Length", true) }
            .forEach { builder.header(it.name, it.value) }
        val body = request.body
        builder.method(request.method, if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofByteArray(body))
        return builder.build()
    }

    /** Header pairs from a header map (`HttpResponse.headers().map()`, `HttpExchange.getRequestHeaders()`, a servlet's). */
    @JvmStatic
    fun headers(map: Map<String, List<String>>): List<Header> = map.flatMap { (name, values) -> values.map { Header(name, it) } }

    /** Verifies the answer and returns its typed result (`getData()` is an `AnyOutput`). */
    @JvmStatic
    @Throws(WxpayException::class)
    fun parse(client: Client, request: RequestRecord, status: Int, headers: Map<String, List<String>>, body: ByteArray): Parsed =
        client.parse(request, httpStatus(status), headers(headers), body)

    @JvmStatic
    @Throws(WxpayException::class)
    fun parse(client: Client, request: RequestRecord, response: HttpResponse<ByteArray>): Parsed =
        parse(client, request, response.statusCode(), response.headers().map(), response.body())

    /** Verifies the answer and returns its result as JSON text (null for a 204). */
    @JvmStatic
    @Throws(WxpayException::class)
    fun parseJson(client: Client, request: RequestRecord, status: Int, headers: Map<String, List<String>>, body: ByteArray): JsonResult {
        val parsed = client.parseById(request.operation, httpStatus(status), headers(headers), body)
        return JsonResult(parsed.status.toInt(), parsed.requestId, parsed.json)
    }

    @JvmStatic
    @Throws(WxpayException::class)
    fun parseJson(client: Client, request: RequestRecord, response: HttpResponse<ByteArray>): JsonResult =
        parseJson(client, request, response.statusCode(), response.headers().map(), response.body())

    // ---- notifications and certificates ------------------------------------------------------

    /** Verifies, decrypts and types a notification from the raw request (headers and body bytes). */
    @JvmStatic
    @Throws(WxpayException::class)
    fun parseNotification(client: Client, headers: Map<String, List<String>>, body: ByteArray): Notification =
        client.parseNotification(headers(headers), body)

    /** The notification as the JSON text of docs/notifications.md. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun notificationJson(notification: Notification): String = com.wxpayterminate.notificationJson(notification)

    /** 200 `{"code":"SUCCESS","message":"成功"}`. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun notificationAck(): NotificationReply = com.wxpayterminate.notificationAck()

    /** 500 `{"code":"FAIL","message":…}`: WeChat Pay delivers again. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun notificationNack(message: String): NotificationReply = com.wxpayterminate.notificationNack(message)

    /** Decrypts and verifies a certificate download (then `client.updateCertificates(set, null)`). */
    @JvmStatic
    @Throws(WxpayException::class)
    fun parseCertificates(client: Client, status: Int, headers: Map<String, List<String>>, body: ByteArray): CertificateSet =
        client.parseCertificates(httpStatus(status), headers(headers), body)

    /** The catalog (operations, parameters, result schemas) as JSON text. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun catalogJson(): String = com.wxpayterminate.catalogJson()

    // ---- terminate with certainty -------------------------------------------------------------

    /**
     * Terminates one contract and returns its confirmed final state (see `Confirm.kt`): retries 429
     * and 5xx, queries after a lost answer, lets the query explain a refusal, never guesses.
     * `params` and `queryParams` by their API names; null `policy`: the core's defaults
     * ([confirmPolicy] to change some); blocking, with `http` and a `timeout` per request (10 s).
     */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class, InterruptedException::class)
    fun terminateAndConfirm(
        client: Client,
        operationId: String,
        params: Map<String, Any?>,
        queryParams: Map<String, Any?>? = null,
        policy: ConfirmPolicy? = null,
        http: HttpClient = DefaultHttp.client,
        timeout: Duration = DEFAULT_CONFIRM_TIMEOUT,
    ): Outcome = client.terminateAndConfirm(operationId, params, queryParams, policy, http, timeout)

    /** The same for a typed operation, e.g. `new AnyOperation.TerminatePapayContract(WxpayJava.terminatePapayContract(…))`. */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class, InterruptedException::class)
    fun terminateAndConfirm(
        client: Client,
        operation: AnyOperation,
        queryParams: Map<String, Any?>? = null,
        policy: ConfirmPolicy? = null,
        http: HttpClient = DefaultHttp.client,
        timeout: Duration = DEFAULT_CONFIRM_TIMEOUT,
    ): Outcome = client.terminateAndConfirm(operation, queryParams, policy, http, timeout)

    /** The machine itself, for hosts that keep a journal (`machine.toJson()`, `Termination.Companion.fromJson(saved)`). */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class)
    fun termination(operationId: String, params: Map<String, Any?>, queryParams: Map<String, Any?>? = null, policy: ConfirmPolicy? = null): Termination =
        Termination(operationId, toJson(params), queryParams?.let(::toJson), policy)

    /** Drives a machine (new or restored from a journal) to its outcome with `java.net.http`. */
    @JvmStatic
    @JvmOverloads
    @Throws(WxpayException::class, InterruptedException::class)
    fun drive(machine: Termination, client: Client, http: HttpClient = DefaultHttp.client, timeout: Duration = DEFAULT_CONFIRM_TIMEOUT): Outcome =
        machine.drive(client, http, timeout)

    /** Reports the answer to the request in flight (verified in the core). */
    @JvmStatic
    @Throws(WxpayException::class)
    fun onResponse(machine: Termination, client: Client, response: HttpResponse<ByteArray>) =
        machine.onResponse(client, httpStatus(response.statusCode()), headers(response.headers().map()), response.body())

    /** The core's default policy. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun confirmPolicy(): ConfirmPolicy = defaultConfirmPolicy()

    /** The default policy with some fields changed, by their snake_case names:
     *  `Map.of("backoff_initial_ms", 200, "max_query_sends", 20)`. A wrong name or type is
     *  [WxpayException.InvalidInput] with `field` `policy`. */
    @JvmStatic
    @Throws(WxpayException::class)
    fun confirmPolicy(changes: Map<String, Any?>): ConfirmPolicy = confirmPolicyFromJson(toJson(changes))

    /** Whether the final state is known (everything but `OutcomeKind.FAILED`). */
    @JvmStatic fun isConfirmed(outcome: Outcome): Boolean = outcome.confirmed
    @JvmStatic fun terminateSends(outcome: Outcome): Int = outcome.terminateSends.toInt()
    @JvmStatic fun querySends(outcome: Outcome): Int = outcome.querySends.toInt()

    /** The HTTP status of the answer that proved an outcome, or null (a notification). */
    @JvmStatic fun status(evidence: Evidence): Int? = evidence.status?.toInt()

    /** 1 for the first send of its purpose. */
    @JvmStatic fun attempt(step: TerminationStep.Send): Int = step.attempt.toInt()

    // ---- JSON text from Java values ----------------------------------------------------------

    /** JSON text of a map/list/scalar tree, keys in the map's order. */
    @JvmStatic
    fun toJson(value: Any?): String = StringBuilder().also { writeJson(it, value) }.toString()

    private fun writeJson(out: StringBuilder, value: Any?) {
        when (value) {
            null -> out.append("null")
            is String -> writeString(out, value)
            is Char -> writeString(out, value.toString())
            is Boolean -> out.append(value)
            is Byte, is Short, is Int, is Long, is BigInteger -> out.append(value.toString())
            is ULong, is UInt, is UShort, is UByte -> out.append(value.toString())
            is BigDecimal -> out.append(value.toPlainString())
            is Float, is Double -> {
                val d = (value as Number).toDouble()
                require(d.isFinite()) { "JSON has no NaN or infinity ($value)" }
                out.append(if (d == Math.rint(d) && Math.abs(d) < 1e15) d.toLong().toString() else d.toString())
            }
            is Map<*, *> -> {
                out.append('{')
                value.entries.forEachIndexed { i, (k, v) ->
                    if (i > 0) out.append(',')
                    writeString(out, k as? String ?: throw IllegalArgumentException("JSON object keys are strings, not $k"))
                    out.append(':')
                    writeJson(out, v)
                }
                out.append('}')
            }
            is Iterable<*> -> {
                out.append('[')
                value.forEachIndexed { i, v -> if (i > 0) out.append(','); writeJson(out, v) }
                out.append(']')
            }
            is Array<*> -> writeJson(out, value.asList())
            is IntArray -> writeJson(out, value.asList())
            is LongArray -> writeJson(out, value.asList())
            else -> throw IllegalArgumentException("no JSON form for ${value.javaClass.name}")
        }
    }

    private fun writeString(out: StringBuilder, s: String) {
        out.append('"')
        for (c in s) {
            when {
                c == '"' -> out.append("\\\"")
                c == '\\' -> out.append("\\\\")
                c == '\n' -> out.append("\\n")
                c == '\r' -> out.append("\\r")
                c == '\t' -> out.append("\\t")
                c < ' ' -> out.append(String.format("\\u%04x", c.code))
                else -> out.append(c)
            }
        }
        out.append('"')
    }

    private fun unsigned(name: String, value: Long): ULong {
        require(value >= 0) { "$name must not be negative ($value)" }
        return value.toULong()
    }

    private fun httpStatus(status: Int): UShort {
        require(status in 0..65535) { "not an HTTP status: $status" }
        return status.toUShort()
    }
}

/** A verified answer with its result as JSON text: `getStatus()`, `getRequestId()`, `getJson()` (null for 204). */
data class JsonResult(val status: Int, val requestId: String?, val json: String?)
