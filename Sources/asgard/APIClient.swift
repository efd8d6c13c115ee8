import AsgardAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A failure the CLI reports in one line and exits 1 for.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    /// The process's exit status: 1, or 3 for a deployment rolled back at a person's request.
    var exitCode: Int32 = 1
    /// True when no server answered at all (as opposed to an answer that refused).
    var serverUnreachable = false
}

/// The CLI's only way to the console: its REST API over HTTP.
struct APIClient {
    let server: String
    let token: String?

    /// An answer: status and body.
    struct Reply {
        var status: Int
        var body: Data
        var headers: HTTPHeaders
    }

    /// GETs `path` (with `query`), answering the body of a 2xx reply.
    func get(_ path: String, query: [(String, String)] = []) async throws -> Reply {
        try await send(.GET, path, query: query, fields: nil)
    }

    /// POSTs `fields` as a JSON object to `path`.
    func post(_ path: String, fields: [String: String]) async throws -> Reply {
        try await send(.POST, path, query: [], fields: fields)
    }

    /// POSTs a JSON object whose members may be arrays or objects.
    func post(_ path: String, document: [String: Any]) async throws -> Reply {
        try await send(.POST, path, query: [], fields: document)
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)], fields: [String: Any]?) async throws -> Reply {
        var url = server.hasSuffix("/") ? String(server.dropLast()) : server
        url += path
        if !query.isEmpty {
            url += "?" + query.map { "\(pathSegment($0.0))=\(pathSegment($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "asgard-cli/\(AsgardVersion.version)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let fields {
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        // A CLI call is one request: fail at once when nobody listens instead of retrying the
        // connection until the request's deadline.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(120))
            buffer = try await response.body.collect(upTo: 64 << 20)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw CLIError(description: "No Asgard server answers at \(server); start one with `asgard serve` or point --server (or ASGARD_URL) at yours",
                           serverUnreachable: true)
        }
        let body = Data(buffer.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            if let error = try? APIJSON.decoder().decode(ErrorBody.self, from: body) {
                let hint = response.status.code == 401 ? " (sign in with `asgard login`, or pass --token / ASGARD_TOKEN)" : ""
                throw CLIError(description: CLIText.commands(in: error.error.message) + hint)
            }
            throw CLIError(description: "The server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        return Reply(status: Int(response.status.code), body: body, headers: response.headers)
    }
}
