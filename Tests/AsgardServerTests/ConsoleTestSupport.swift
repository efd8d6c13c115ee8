import AsgardAPI
import AsgardServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The admin's API token in every test console.
let adminToken = "test-admin-token-0123456789abcdef"

/// Runs `body` against the real console, served over HTTP on a free loopback port, with its
/// data in a fresh temporary directory and `adminToken` as the admin's token.
func withConsole<T: Sendable>(configure: (inout ServerConfig) -> Void = { _ in },
                              now: @escaping @Sendable () -> Date = { Date() },
                              _ body: @Sendable (any TestClientProtocol, ConsoleApplication) async throws -> T) async throws -> T {
    let dir = NSTemporaryDirectory() + "asgard-server-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var config = ServerConfig(port: 0, dataDir: dir, logLevel: .critical)
    config.adminToken = adminToken
    config.passwordRounds = 1_000
    configure(&config)
    let console = try await buildApplication(config, now: now)
    return try await console.application.test(.live) { client in
        try await body(client, console)
    }
}

let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

/// How a test request proves who it is.
enum Credentials: Sendable {
    case token(String)
    case cookie(String)
    case none

    static let admin = Credentials.token(adminToken)

    func apply(to headers: inout HTTPFields) {
        switch self {
        case .token(let token): headers[.authorization] = "Bearer \(token)"
        case .cookie(let cookie): headers[.cookie] = cookie
        case .none: break
        }
    }
}

extension TestClientProtocol {
    /// GETs `uri`, as a browser when `browser`.
    func get(_ uri: String, browser: Bool = false, as credentials: Credentials = .admin) async throws -> TestResponse {
        var headers = HTTPFields()
        if browser { headers[.accept] = browserAccept }
        credentials.apply(to: &headers)
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    /// POSTs form fields, as a browser when `browser`, else as curl does.
    func postForm(_ uri: String, _ fields: [(String, String)], browser: Bool = false,
                  as credentials: Credentials = .admin) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        headers[.accept] = browser ? browserAccept : "*/*"
        credentials.apply(to: &headers)
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// POSTs a JSON document.
    func postJSON(_ uri: String, _ json: String, as credentials: Credentials = .admin) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json"]
        credentials.apply(to: &headers)
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }
}

func formEncode(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try APIJSON.decoder().decode(type, from: Data(buffer: body))
    }

    /// The error of an error answer.
    func error() throws -> ErrorBody.Detail {
        try decode(ErrorBody.self).error
    }
}
