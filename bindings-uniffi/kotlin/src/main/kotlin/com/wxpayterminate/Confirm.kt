package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.ConfirmPolicy
import com.wxpayterminate.catalog.Outcome
import com.wxpayterminate.catalog.OutcomeKind
import java.io.IOException
import java.net.http.HttpClient
import java.time.Duration

/*
 * Terminate with certainty: one contract's termination driven to a confirmed final state.
 *
 * A terminate whose answer is lost (timeout, reset, a 5xx, an answer that does not verify) leaves
 * you not knowing whether the contract ended. The core's `Termination` machine follows WeChat Pay's
 * recipe instead of guessing: 429 and 5xx back off and resend the same signed request while it is
 * fresh, a lost answer is followed by the family's query (never a blind resend), a refusal is
 * explained by the query, and it stops only when the state is confirmed — or says plainly that it
 * is not (`OutcomeKind.FAILED`). These helpers are its host on `java.net.http`:
 *
 * ```kotlin
 * val outcome = client.terminateAndConfirm(AnyOperation.TerminatePapayContract(
 *     TerminatePapayContract(12535uL, "wxwtdk20200910100000", "用户解约")))
 * outcome.kind                 // TERMINATED, ALREADY_TERMINATED, NOT_FOUND or FAILED
 * outcome.evidence?.requestId  // the answer (or notification) that proved it
 * ```
 *
 * Java: `WxpayJava.terminateAndConfirm(client, "terminate_papay_contract", Map.of(…))`.
 */

/** The timeout of each request when none is given: 10 s. */
internal val DEFAULT_CONFIRM_TIMEOUT: Duration = Duration.ofSeconds(10)

/** One `HttpClient` shared by every call that passes none (its connections are pooled). */
internal object DefaultHttp {
    val client: HttpClient by lazy { HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build() }
}

/** The core's default policy, to `copy(…)` with what you change:
 *  `ConfirmPolicy.default().copy(backoffInitialMs = 200uL)`. */
fun ConfirmPolicy.Companion.default(): ConfirmPolicy = defaultConfirmPolicy()

/** Whether the final state is known: everything but [OutcomeKind.FAILED]. */
val Outcome.confirmed: Boolean get() = kind != OutcomeKind.FAILED

/**
 * Terminates one contract and returns its confirmed final state (blocking: sends with `http`, sleeps
 * through the back-offs with `Thread.sleep`). `queryParams` adds what the confirming query needs
 * beyond the termination's own fields (face pay: `out_user_id`; WeBizPay: `user_id`; edu-papay:
 * `appid`), by their API names. Each request may take `timeout`; an [IOException] from `http`
 * (`HttpTimeoutException`, a reset, a refused connection) is a lost answer, followed by the query.
 *
 * Throws [WxpayException.InvalidInput] for bad input before anything is signed; the answers'
 * errors are not thrown but read by the recipe and end in the [Outcome] (`outcome.error`).
 */
@JvmOverloads
@Throws(WxpayException::class, InterruptedException::class)
fun Client.terminateAndConfirm(
    operation: AnyOperation,
    queryParams: Map<String, Any?>? = null,
    policy: ConfirmPolicy? = null,
    http: HttpClient = DefaultHttp.client,
    timeout: Duration = DEFAULT_CONFIRM_TIMEOUT,
): Outcome = Termination.of(operation, queryParams?.let(WxpayJava::toJson), policy).use { it.drive(this, http, timeout) }

/** [terminateAndConfirm] for an operation by its catalog id, its params by their API names
 *  (`mapOf("plan_id" to 12535, "out_contract_code" to …)`). */
@JvmOverloads
@Throws(WxpayException::class, InterruptedException::class)
fun Client.terminateAndConfirm(
    operationId: String,
    params: Map<String, Any?>,
    queryParams: Map<String, Any?>? = null,
    policy: ConfirmPolicy? = null,
    http: HttpClient = DefaultHttp.client,
    timeout: Duration = DEFAULT_CONFIRM_TIMEOUT,
): Outcome = Termination(operationId, WxpayJava.toJson(params), queryParams?.let(WxpayJava::toJson), policy)
    .use { it.drive(this, http, timeout) }

/**
 * Drives this machine to its outcome with `java.net.http`: the loop [terminateAndConfirm] runs, for
 * a machine you made yourself or restored from a journal (`Termination.fromJson(saved)` — a request
 * that was in flight is queried before anything is resent).
 */
@JvmOverloads
@Throws(WxpayException::class, InterruptedException::class)
fun Termination.drive(client: Client, http: HttpClient = DefaultHttp.client, timeout: Duration = DEFAULT_CONFIRM_TIMEOUT): Outcome {
    while (true) {
        when (val step = next(client)) {
            is TerminationStep.Done -> return step.outcome
            is TerminationStep.Wait -> {
                val ms = step.untilMs - System.currentTimeMillis()
                if (ms > 0) Thread.sleep(ms)
            }
            is TerminationStep.Send -> {
                val response = try {
                    WxpayJava.send(http, step.request, timeout)
                } catch (e: IOException) {
                    onTransportError()
                    continue
                }
                onResponse(client, response.statusCode().toUShort(), WxpayJava.headers(response.headers().map()), response.body())
            }
        }
    }
}
