import AsgardCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One event of a deployment, as its webhook receives it.
struct DeploymentEvent: Sendable, Codable {
    /// `started`, `succeeded`, `failed` or `canceled`.
    var event: String
    var taskId: Int64
    var taskUrl: String
    var cluster: String
    var strategy: String
    var imageId: String
    var newGroup: String?
    var message: String
    var time: Date
}

/// Sends deployment events to their webhooks in the background: a few tries with growing pauses
/// and a timeout each, logged when they all fail. A slow or broken webhook never holds a
/// deployment up.
struct DeploymentNotifier: Sendable {
    let logger: Logger
    let attempts = 3
    let timeout = TimeAmount.seconds(5)

    func send(_ event: DeploymentEvent, to url: String) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        guard let body = try? encoder.encode(event) else { return }
        var pause = Duration.milliseconds(500)
        for attempt in 1...attempts {
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.headers.add(name: "user-agent", value: "asgard-deployments")
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await HTTPClient.shared.execute(request, timeout: timeout)
                _ = try await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                logger.info("Webhook answered \(response.status.code)", metadata: ["url": "\(url)", "attempt": "\(attempt)"])
            } catch {
                logger.info("Webhook failed", metadata: ["url": "\(url)", "attempt": "\(attempt)", "error": "\(error)"])
            }
            if attempt < attempts {
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
        logger.warning("Giving up on a webhook", metadata: ["url": "\(url)", "event": "\(event.event)", "task": "\(event.taskId)"])
    }
}
