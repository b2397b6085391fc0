// Mirrors bindings-uniffi/kotlin/src/test: every shared vector, typed API, errors, notifications.
// Not compiled on the project's machines (no Swift toolchain there); run on macOS with
//   VECTORS_DIR=$PWD/../../tests/vectors swift test -Xlinker -L../../target/release
import Foundation
import XCTest
@testable import WxpayTerminate

final class VectorsTests: XCTestCase {
    private var vectors: URL {
        if let dir = ProcessInfo.processInfo.environment["VECTORS_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../tests/vectors").standardized
    }

    private func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    private func key(_ name: String) throws -> String {
        try String(contentsOf: vectors.appendingPathComponent("keys/\(name)"), encoding: .utf8)
    }

    private func config(_ c: [String: Any]) throws -> ClientConfig {
        let privateKey: String? = try (c["private_key"] as? String).map(key) ?? (c["private_key_text"] as? String)
        return ClientConfig(
            mchid: c["mchid"] as? String ?? "",
            serialNo: c["serial_no"] as? String ?? "",
            privateKey: privateKey,
            wechatpayPublicKeyId: c["wechatpay_public_key_id"] as? String,
            wechatpayPublicKey: try (c["wechatpay_public_key"] as? String).map(key),
            platformCertificates: try ((c["platform_certificates"] as? [String]) ?? []).map(key),
            apiv3Key: c["apiv3_key"] as? String,
            baseUrl: c["base_url"] as? String,
            globalBaseUrl: c["global_base_url"] as? String,
            userAgentPlatform: nil,
            userAgentSuffix: nil
        )
    }

    private func client(_ name: String) throws -> Client {
        let clients = try json(vectors.appendingPathComponent("clients.json"))
        return try Client(config: config(clients[name] as! [String: Any]))
    }

    /// The kind a case stands for; nil for `.Other` (a kind this package does not list).
    private func caseKind(_ e: WxpayError) -> String? {
        switch e {
        case .InvalidInput: return "invalid_input"
        case .InvalidKey: return "invalid_key"
        case .UnsignedResponse: return "unsigned_response"
        case .InvalidSignature: return "invalid_signature"
        case .SignatureProbe: return "signature_probe"
        case .UnknownSerial: return "unknown_serial"
        case .ClockSkew: return "clock_skew"
        case .Api: return "api"
        case .Decode: return "decode"
        case .Decryption: return "decryption"
        case .Internal: return "internal"
        case .Other: return nil
        }
    }

    private lazy var messages: [String: String] =
        (try? JSONSerialization.jsonObject(with: Data(contentsOf: vectors.appendingPathComponent("messages.json")))) as? [String: String] ?? [:]

    /// The record's kind, the case for it, the pinned message and the error's description.
    private func checkError(_ error: Error, _ want: [String: Any], _ name: String) {
        guard let e = error as? WxpayError else { return XCTFail("\(name): not a WxpayError: \(error)") }
        let record = e.record()
        XCTAssertEqual(record.kind, want["kind"] as? String, name)
        XCTAssertEqual(caseKind(e), (try? errorKinds())?.contains(record.kind) == true ? record.kind : nil, name)
        XCTAssertEqual(e.errorDescription, record.message, name)
        XCTAssertEqual(e.localizedDescription, record.message, name)
        XCTAssertEqual(messages[name], record.message, name)
        if let field = want["field"] as? String { XCTAssertEqual(record.field, field, name) }
        if let status = want["status"] as? Int { XCTAssertEqual(record.status.map { Int($0) }, status, name) }
        if let code = want["code"] { XCTAssertEqual(record.code, code as? String, name) }
        if let message = want["message"] { XCTAssertEqual(record.apiMessage, message as? String, name) }
        if let requestId = want["request_id"] { XCTAssertEqual(record.requestId, requestId as? String, name) }
        if let retryable = want["retryable"] as? Bool { XCTAssertEqual(record.retryable, retryable, name) }
    }

    private func headers(_ pairs: [[String]]) -> [Header] { pairs.map { Header(name: $0[0], value: $0[1]) } }

    func testEveryVector() throws {
        let files = FileManager.default.enumerator(at: vectors.appendingPathComponent("cases"), includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
        XCTAssertGreaterThanOrEqual(files.count, 100)
        let root = vectors.appendingPathComponent("cases").standardized.path + "/"
        var ran = 0
        for file in files {
            let c = try json(file)
            let name = String(file.standardized.path.dropFirst(root.count).dropLast(".json".count))
            switch c["type"] as! String {
            case "signing": try signing(c)
            case "request", "request_generic", "certificates_request": try request(c)
            case "request_error": try requestError(c, name)
            case "client_error":
                XCTAssertThrowsError(try Client(config: config(c["config"] as! [String: Any]))) { e in
                    checkError(e, (c["expect"] as! [String: Any])["error"] as! [String: Any], name)
                }
            case "response": try response(c, name)
            case "notification": try notification(c, name)
            case "certificates": try certificates(c, name)
            default: XCTFail("no Swift runner for \(c["type"]!) in \(name)")
            }
            ran += 1
        }
        XCTAssertEqual(ran, files.count)
    }

    private func signing(_ c: [String: Any]) throws {
        let expect = c["expect"] as! [String: Any]
        let message: Data
        if let m = c["message"] as? String {
            message = Data(m.utf8)
        } else {
            var doc = (try json(vectors.appendingPathComponent("clients.json")))["doc_pubkey"] as! [String: Any]
            doc["private_key"] = c["key"]
            let body = c["body"] as! String
            let call = ApiCallSpec(method: c["method"] as! String, template: c["canonical_url"] as! String, pathParams: [], query: [], json: body.isEmpty ? nil : body)
            let unsigned = try Client(config: config(doc)).unsignedCall(call: call, timestamp: (c["timestamp"] as! NSNumber).int64Value, nonce: c["nonce"] as? String)
            message = try unsigned.stringToSign()
            XCTAssertEqual(String(decoding: message, as: UTF8.self), expect["string_to_sign"] as? String)
        }
        XCTAssertEqual(try signMessage(privateKeyPem: key(c["key"] as! String), message: message), expect["signature"] as? String)
    }

    /// The one unsigned builder for the case's input shape; `sign` makes the request.
    private func unsigned(_ client: Client, _ c: [String: Any]) throws -> UnsignedRequest {
        let ts = (c["timestamp"] as? NSNumber)?.int64Value ?? -1
        let nonce = c["nonce"] as? String ?? ""
        if c["type"] as? String == "certificates_request" {
            return try client.unsignedCertificates(host: c["host"] as? String == "global" ? .global : .api, timestamp: ts, nonce: nonce)
        }
        if let op = c["operation"] as? String {
            let params = String(decoding: try JSONSerialization.data(withJSONObject: c["params"]!), as: UTF8.self)
            return try client.unsignedById(operationId: op, paramsJson: params, timestamp: ts, nonce: nonce)
        }
        // JSONSerialization does not keep key order; bodies whose order matters are checked in Rust, Python, JS and Kotlin.
        let json = try c["json"].map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        let path = (c["path_params"] as? [String: String] ?? [:]).map { Header(name: $0.key, value: $0.value) }
        let call = ApiCallSpec(method: c["method"] as! String, template: c["template"] as! String, pathParams: path,
                               query: headers(c["query"] as? [[String]] ?? []), json: json)
        return try client.unsignedCall(call: call, timestamp: ts, nonce: nonce)
    }

    private func build(_ client: Client, _ c: [String: Any]) throws -> RequestRecord {
        try client.sign(unsigned: unsigned(client, c))
    }

    private func request(_ c: [String: Any]) throws {
        let expect = c["expect"] as! [String: Any]
        let want = expect["request"] as! [String: Any]
        let req = try build(client(c["client"] as! String), c)
        XCTAssertEqual(req.method, want["method"] as? String)
        XCTAssertEqual(req.url, want["url"] as? String)
        let got = Dictionary(uniqueKeysWithValues: req.headers.map { ($0.name.lowercased(), $0.value) })
        if c["json"] == nil {
            for (name, value) in want["headers"] as! [String: String] { XCTAssertEqual(got[name.lowercased()], value, name) }
            XCTAssertEqual(req.body.map { String(decoding: $0, as: UTF8.self) }, want["body"] as? String)
        }
        for name in want["absent_headers"] as! [String] { XCTAssertNil(got[name.lowercased()], name) }
        if c["json"] == nil {
            let completed = try unsigned(client(c["client"] as! String), c).complete(signatureBase64: expect["signature"] as! String)
            XCTAssertEqual(completed, req)
        }
    }

    private func requestError(_ c: [String: Any], _ name: String) throws {
        let want = (c["expect"] as! [String: Any])["error"] as! [String: Any]
        XCTAssertThrowsError(try build(client(c["client"] as! String), c)) { e in checkError(e, want, name) }
    }

    private func body(_ m: [String: Any]) -> Data {
        (m["body"] as? String).map { Data($0.utf8) } ?? Data(base64Encoded: m["body_base64"] as! String)!
    }

    private func jsonEqual(_ text: String, _ want: Any, _ name: String) throws {
        let got = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! NSObject
        XCTAssertEqual(got, want as! NSObject, name)
    }

    private func notification(_ c: [String: Any], _ name: String) throws {
        let n = c["notification"] as! [String: Any]
        let expect = c["expect"] as! [String: Any]
        let call = { try self.client(c["client"] as! String).parseNotification(
            headers: self.headers(n["headers"] as! [[String]]), body: self.body(n), now: (c["now"] as! NSNumber).int64Value) }
        if let ok = expect["ok"] {
            let parsed = try call()
            try jsonEqual(notificationJson(notification: parsed), ok, name)
            XCTAssertEqual(parsed.eventType, (ok as! [String: Any])["event_type"] as? String, name)
        } else {
            XCTAssertThrowsError(try call()) { e in self.checkError(e, expect["error"] as! [String: Any], name) }
        }
    }

    private func certificates(_ c: [String: Any], _ name: String) throws {
        let r = c["response"] as! [String: Any]
        let expect = c["expect"] as! [String: Any]
        let call = { try self.client(c["client"] as! String).parseCertificates(
            status: (r["status"] as! NSNumber).uint16Value, headers: self.headers(r["headers"] as! [[String]]),
            body: self.body(r), now: (c["now"] as! NSNumber).int64Value) }
        if let ok = expect["ok"] as? [String: Any] {
            let set = try call()
            let got: [String: Any] = ["certificates": set.certificates.map {
                ["serial_no": $0.serialNo, "not_before": $0.notBefore, "not_after": $0.notAfter, "pem": $0.pem] as [String: Any]
            }]
            XCTAssertEqual(got as NSDictionary, ok as NSDictionary, name)
        } else {
            XCTAssertThrowsError(try call()) { e in self.checkError(e, expect["error"] as! [String: Any], name) }
        }
    }

    private func response(_ c: [String: Any], _ name: String) throws {
        let r = c["response"] as! [String: Any]
        let body = self.body(r)
        let expect = c["expect"] as! [String: Any]
        let call = { try self.client(c["client"] as! String).parseById(
            operationId: c["operation"] as? String, status: (r["status"] as! NSNumber).uint16Value,
            headers: self.headers(r["headers"] as! [[String]]), body: body, now: (c["now"] as! NSNumber).int64Value) }
        if let ok = expect["ok"] as? [String: Any] {
            let parsed = try call()
            XCTAssertEqual(Int(parsed.status), ok["status"] as? Int)
            XCTAssertEqual(parsed.requestId, ok["request_id"] as? String)
            if ok["data"] is NSNull {
                XCTAssertNil(parsed.json)
            } else {
                let got = try JSONSerialization.jsonObject(with: Data(parsed.json!.utf8)) as! NSObject
                XCTAssertEqual(got, ok["data"] as! NSObject)
            }
        } else {
            let want = expect["error"] as! [String: Any]
            XCTAssertThrowsError(try call()) { e in self.checkError(e, want, name) }
        }
    }

    func testTypedOperationAndErrorKinds() throws {
        let client = try client("doc_pubkey")
        let op = AnyOperation.terminatePapayContract(TerminatePapayContract(planId: 12535, outContractCode: "wxwtdk20200910100000", contractTerminationRemark: "用户解约"))
        let req = try client.prepare(operation: op, timestamp: 1554208460, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242")
        XCTAssertEqual(req.operation, "terminate_papay_contract")
        XCTAssertEqual(Set(try errorKinds()), ["invalid_input", "invalid_key", "unsigned_response", "invalid_signature", "signature_probe", "unknown_serial", "clock_skew", "api", "decode", "decryption", "internal"])
        XCTAssertThrowsError(try client.prepare(operation: .terminatePapayContract(TerminatePapayContract(planId: 12535, outContractCode: "", contractTerminationRemark: "x")))) { e in
            guard case let .InvalidInput(record) = e as! WxpayError else { return XCTFail("\(e)") }
            XCTAssertEqual(record.field, "out_contract_code")
            XCTAssertEqual((e as! WxpayError).errorDescription, record.message)
        }
    }

    /// A panic inside the core (the test hook) is `WxpayError.Internal`, never a crash, and the
    /// client keeps working.
    func testAPanicIsTheInternalErrorAndTheClientStaysUsable() throws {
        let client = try client("doc_pubkey")
        for _ in 0..<3 {
            XCTAssertThrowsError(try client.panicForTest()) { e in
                guard case let .Internal(record) = e as! WxpayError else { return XCTFail("\(e)") }
                XCTAssertEqual(record.kind, "internal")
                XCTAssertEqual(record.message, "wxpay-terminate panicked: please report this as a bug")
            }
        }
        let op = AnyOperation.terminatePapayContract(TerminatePapayContract(planId: 12535, outContractCode: "wxwtdk20200910100000", contractTerminationRemark: "用户解约"))
        XCTAssertEqual(try client.prepare(operation: op, timestamp: 1554208460, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242").operation, "terminate_papay_contract")
    }

    func testNotificationsAndReplies() throws {
        let c = try json(vectors.appendingPathComponent("cases/notification/entrust_terminate_direct_cert_a.json"))
        let n = c["notification"] as! [String: Any]
        let notification = try client(c["client"] as! String).parseNotification(
            headers: headers(n["headers"] as! [[String]]), body: body(n), now: (c["now"] as! NSNumber).int64Value)
        guard case let .papayTerminated(contract) = notification.resource else { return XCTFail("\(notification.resource)") }
        XCTAssertEqual(contract.contractState, "TERMINATED")
        XCTAssertEqual(contract.planId, 12535)

        let ack = try notificationAck()
        XCTAssertEqual(ack.status, 200)
        XCTAssertEqual(ack.headers, [Header(name: "Content-Type", value: "application/json")])
        XCTAssertEqual(ack.body, Data(#"{"code":"SUCCESS","message":"成功"}"#.utf8))
        let nack = try notificationNack(message: "系统繁忙")
        XCTAssertEqual(nack.status, 500)
        XCTAssertEqual(nack.body, Data(#"{"code":"FAIL","message":"系统繁忙"}"#.utf8))
        XCTAssertThrowsError(try notificationNack(message: "")) { e in
            guard case let .InvalidInput(record) = e as! WxpayError else { return XCTFail("\(e)") }
            XCTAssertEqual(record.field, "message")
        }

        var keyless = try config((try json(vectors.appendingPathComponent("clients.json")))[c["client"] as! String] as! [String: Any])
        keyless.apiv3Key = nil
        XCTAssertThrowsError(try Client(config: keyless).parseNotification(
            headers: headers(n["headers"] as! [[String]]), body: body(n), now: (c["now"] as! NSNumber).int64Value)) { e in
            guard case let .InvalidKey(record) = e as! WxpayError else { return XCTFail("\(e)") }
            XCTAssertEqual(record.field, "apiv3_key")
        }
    }
}
