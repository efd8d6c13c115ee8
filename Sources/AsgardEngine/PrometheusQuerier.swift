import AsgardCore
import AsyncHTTPClient
import Foundation
import NIOCore

/// Asks a Prometheus server for the values of a PromQL query over a time range
/// (`/api/v1/query_range`), for canary metrics with `"source": "prometheus"`.
public struct PrometheusQuerier: Sendable {
    /// The server's address, e.g. http://127.0.0.1:9090.
    public let url: URL
    /// Sent as `Authorization: Bearer`, when set.
    public let bearerToken: String?
    let http: HTTPClient

    /// A querier of the server at `url`.
    public init(url: URL, bearerToken: String?, http: HTTPClient = .shared) {
        self.url = url
        self.bearerToken = bearerToken
        self.http = http
    }

    /// Every value of every series `query` answers from `start` to `end`, a point each `step`
    /// seconds (NaN and infinite points left out); or why there are none, naming the query.
    public func values(of query: String, from start: Date, to end: Date, step: Int) async -> Result<[Double], QueryFailure> {
        var request = HTTPClientRequest(url: url.appendingPathComponent("api/v1/query_range").absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let form = [("query", query), ("start", String(format: "%.3f", start.timeIntervalSince1970)),
                    ("end", String(format: "%.3f", max(end, start).timeIntervalSince1970)), ("step", "\(max(1, step))s")]
        request.body = .bytes(ByteBuffer(string: form.map { "\($0)=\(PercentEncoding.unreservedOnly($1))" }.joined(separator: "&")))
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            return .failure(QueryFailure(query: query, problem: "Prometheus at \(url.absoluteString) did not answer: \(error)"))
        }
        return PrometheusQuerier.parse(Data(body.readableBytesView), query: query)
    }

    /// The values in a `query_range` answer, or why there are none.
    static func parse(_ data: Data, query: String) -> Result<[Double], QueryFailure> {
        guard let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .failure(QueryFailure(query: query, problem: "Prometheus answered something that is not JSON"))
        }
        guard answer["status"] as? String == "success" else {
            return .failure(QueryFailure(query: query, problem: "Prometheus refused it: \(answer["error"] as? String ?? "no reason given")"))
        }
        let series = (answer["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        var values: [Double] = []
        for one in series {
            for point in one["values"] as? [[Any]] ?? [] {
                if point.count == 2, let text = point[1] as? String, let value = Double(text), value.isFinite { values.append(value) }
            }
        }
        guard !values.isEmpty else { return .failure(QueryFailure(query: query, problem: "it returned no data")) }
        return .success(values)
    }
}

/// Why a Prometheus query gave no values.
public struct QueryFailure: Error, Sendable, CustomStringConvertible {
    public var query: String
    public var problem: String

    public var description: String { "query \(query): \(problem)" }
}
