// Mirrors bindings-uniffi/kotlin/src/test: every shared vector, typed API, errors.
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
            privateKeyPem: privateKey,
            wechatpayPublicKeyId: c["wechatpay_public_key_id"] as? String,
            wechatpayPublicKeyPem: try (c["wechatpay_public_key"] as? String).map(key),
            platformCertificatesPem: try ((c["platform_certificates"] as? [String]) ?? []).map(key),
            baseUrl: c["base_url"] as? String,
            globalBaseUrl: c["global_base_url"] as? String,
            userAgentSuffix: nil
        )
    }

    private func client(_ name: String) throws -> Client {
        let clients = try json(vectors.appendingPathComponent("clients.json"))
        return try Client(config: config(clients[name] as! [String: Any]))
    }

    private func kind(_ e: WxpayError) -> String {
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
        }
    }

    private func headers(_ pairs: [[String]]) -> [Header] { pairs.map { Header(name: $0[0], value: $0[1]) } }

    func testEveryVector() throws {
        let files = FileManager.default.enumerator(at: vectors.appendingPathComponent("cases"), includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
        XCTAssertGreaterThanOrEqual(files.count, 100)
        var ran = 0
        for file in files {
            let c = try json(file)
            switch c["type"] as! String {
            case "signing": try signing(c)
            case "request", "request_generic": try request(c)
            case "request_error": try requestError(c)
            case "client_error":
                XCTAssertThrowsError(try Client(config: config(c["config"] as! [String: Any]))) { e in
                    XCTAssertEqual(kind(e as! WxpayError), ((c["expect"] as! [String: Any])["error"] as! [String: Any])["kind"] as? String)
                }
            case "response": try response(c)
            default: XCTFail("no Swift runner for \(c["type"]!) in \(file.lastPathComponent)")
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
            let unsigned = try Client(config: config(doc)).requestUnsigned(call: call, timestamp: (c["timestamp"] as! NSNumber).int64Value, nonce: c["nonce"] as? String)
            message = unsigned.stringToSign()
            XCTAssertEqual(String(decoding: message, as: UTF8.self), expect["string_to_sign"] as? String)
        }
        XCTAssertEqual(try signMessage(privateKeyPem: key(c["key"] as! String), message: message), expect["signature"] as? String)
    }

    private func build(_ client: Client, _ c: [String: Any]) throws -> HttpRequest {
        let ts = (c["timestamp"] as! NSNumber).int64Value
        let nonce = c["nonce"] as? String ?? ""
        if let op = c["operation"] as? String {
            let params = String(decoding: try JSONSerialization.data(withJSONObject: c["params"]!), as: UTF8.self)
            return try client.prepareJson(operationId: op, paramsJson: params, timestamp: ts, nonce: nonce)
        }
        // JSONSerialization does not keep key order; bodies whose order matters are checked in Rust, Python, JS and Kotlin.
        let json = try c["json"].map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        let path = (c["path_params"] as? [String: String] ?? [:]).map { Header(name: $0.key, value: $0.value) }
        let call = ApiCallSpec(method: c["method"] as! String, template: c["template"] as! String, pathParams: path,
                               query: headers(c["query"] as? [[String]] ?? []), json: json)
        return try client.request(call: call, timestamp: ts, nonce: nonce)
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
    }

    private func requestError(_ c: [String: Any]) throws {
        let want = (c["expect"] as! [String: Any])["error"] as! [String: Any]
        XCTAssertThrowsError(try build(client(c["client"] as! String), c)) { e in
            XCTAssertEqual(kind(e as! WxpayError), want["kind"] as? String)
            if let field = want["field"] as? String, case let .InvalidInput(_, f) = e as! WxpayError { XCTAssertEqual(f, field) }
        }
    }

    private func response(_ c: [String: Any]) throws {
        let r = c["response"] as! [String: Any]
        let body = (r["body"] as? String).map { Data($0.utf8) } ?? Data(base64Encoded: r["body_base64"] as! String)!
        let expect = c["expect"] as! [String: Any]
        let call = { try self.client(c["client"] as! String).parseJson(
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
            XCTAssertThrowsError(try call()) { e in XCTAssertEqual(self.kind(e as! WxpayError), want["kind"] as? String) }
        }
    }

    func testTypedOperationAndErrorKinds() throws {
        let client = try client("doc_pubkey")
        let op = AnyOperation.terminatePapayContract(TerminatePapayContract(planId: 12535, outContractCode: "wxwtdk20200910100000", contractTerminationRemark: "用户解约"))
        let req = try client.prepare(operation: op, timestamp: 1554208460, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242")
        XCTAssertEqual(req.operation, "terminate_papay_contract")
        XCTAssertEqual(Set(errorKinds()), ["invalid_input", "invalid_key", "unsigned_response", "invalid_signature", "signature_probe", "unknown_serial", "clock_skew", "api", "decode"])
    }
}
