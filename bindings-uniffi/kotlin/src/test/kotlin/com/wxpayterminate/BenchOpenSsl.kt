package com.wxpayterminate

import com.sun.jna.Memory
import com.sun.jna.NativeLibrary
import com.sun.jna.Pointer
import com.sun.jna.ptr.LongByReference

/**
 * `make bench`: OpenSSL's RSA in this JVM, the system libcrypto (the library `openssl speed`
 * measures) called through JNA (already on the classpath for the binding), as any C caller
 * would: `EVP_DigestSign`/`EVP_DigestVerify` with SHA-256, a fresh context per call.
 */
class BenchOpenSsl(privatePem: String, certPem: String) {
    private val lib: NativeLibrary = try {
        NativeLibrary.getInstance("libcrypto.so.3")
    } catch (e: UnsatisfiedLinkError) {
        NativeLibrary.getInstance("crypto")
    }
    private fun f(name: String) = lib.getFunction(name)
    private val mdCtxNew = f("EVP_MD_CTX_new")
    private val mdCtxFree = f("EVP_MD_CTX_free")
    private val signInit = f("EVP_DigestSignInit")
    private val sign = f("EVP_DigestSign")
    private val verifyInit = f("EVP_DigestVerifyInit")
    private val verify = f("EVP_DigestVerify")
    private val sha256: Pointer = f("EVP_sha256").invokePointer(arrayOf())
    private val privateKey: Pointer
    private val publicKey: Pointer

    val version: String = f("OpenSSL_version").invokeString(arrayOf(0), false)

    init {
        fun bio(pem: String): Pointer {
            val bytes = pem.toByteArray()
            // BIO_new_mem_buf keeps the pointer: the memory must outlive the BIO (freed below).
            val mem = Memory(bytes.size.toLong()).apply { write(0, bytes, 0, bytes.size) }
            kept += mem
            return f("BIO_new_mem_buf").invokePointer(arrayOf(mem, bytes.size))
        }
        val keyBio = bio(privatePem)
        privateKey = f("PEM_read_bio_PrivateKey").invokePointer(arrayOf(keyBio, null, null, null)) ?: error("OpenSSL: no key")
        val certBio = bio(certPem)
        val cert = f("PEM_read_bio_X509").invokePointer(arrayOf(certBio, null, null, null)) ?: error("OpenSSL: no certificate")
        publicKey = f("X509_get_pubkey").invokePointer(arrayOf(cert))
        f("BIO_free").invokeInt(arrayOf(keyBio))
        f("BIO_free").invokeInt(arrayOf(certBio))
    }

    /** Reused: a JNA Memory per call would load JNA's cleaner thread, which the binding already does. */
    private val len = LongByReference()

    fun sign(message: ByteArray): ByteArray {
        val sig = ByteArray(512)
        len.value = sig.size.toLong()
        val ctx = mdCtxNew.invokePointer(arrayOf())
        try {
            check(signInit.invokeInt(arrayOf(ctx, null, sha256, null, privateKey)) == 1)
            check(sign.invokeInt(arrayOf(ctx, sig, len, message, message.size.toLong())) == 1)
        } finally {
            mdCtxFree.invokeVoid(arrayOf(ctx))
        }
        return sig.copyOf(len.value.toInt())
    }

    fun verify(signature: ByteArray, message: ByteArray): Boolean {
        val ctx = mdCtxNew.invokePointer(arrayOf())
        try {
            check(verifyInit.invokeInt(arrayOf(ctx, null, sha256, null, publicKey)) == 1)
            return verify.invokeInt(arrayOf(ctx, signature, signature.size.toLong(), message, message.size.toLong())) == 1
        } finally {
            mdCtxFree.invokeVoid(arrayOf(ctx))
        }
    }

    private companion object {
        val kept = mutableListOf<Memory>()
    }
}
