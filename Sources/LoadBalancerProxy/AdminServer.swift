import AsgardCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The control interface the server talks to, on 127.0.0.1: `GET /traffic` reports health and
/// traffic; `PUT /routing` replaces the routing. Every request needs the bearer secret.
struct AdminServer: Sendable {
    let secret: String
    let report: @Sendable () -> LoadBalancerTraffic
    let apply: @Sendable (LoadBalancerRouting) -> Void

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func run(_ server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { connections in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    connections.addTask { try? await serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let request):
                    head = request
                    body.clear()
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= 1 << 20 else { return }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { return }
                    let (status, payload) = answer(request, body: body)
                    let headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(payload.count))])
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: payload))))
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                }
            }
        }
    }

    /// Compares in time that depends only on the length, not on where the texts differ.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func answer(_ request: HTTPRequestHead, body: ByteBuffer) -> (HTTPResponseStatus, Data) {
        func error(_ status: HTTPResponseStatus, _ message: String) -> (HTTPResponseStatus, Data) {
            (status, (try? AdminServer.encoder.encode(["error": message])) ?? Data())
        }
        guard let authorization = request.headers.first(name: "authorization"),
              AdminServer.sameBytes(authorization, "Bearer \(secret)") else {
            return error(.unauthorized, "the control interface needs the load balancer's secret")
        }
        switch (request.method, request.uri) {
        case (.GET, "/traffic"):
            return (.ok, (try? AdminServer.encoder.encode(report())) ?? Data())
        case (.PUT, "/routing"):
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            guard let routing = try? decoder.decode(LoadBalancerRouting.self, from: Data(body.readableBytesView)) else {
                return error(.badRequest, "the body is not a routing document")
            }
            apply(routing)
            return (.ok, (try? AdminServer.encoder.encode(report())) ?? Data())
        default:
            return error(.notFound, "unknown: \(request.method) \(request.uri)")
        }
    }
}
