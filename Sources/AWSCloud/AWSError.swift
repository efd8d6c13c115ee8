import Foundation

/// An error answered by AWS (or by the emulator), with its code and message, parsed from any of
/// the shapes: Query services' `<ErrorResponse><Error>`, EC2's `<Response><Errors><Error>`, the
/// auth errors' `<ErrorResponse><Errors><Error>`, or an HTML page (a crash of the emulator).
public struct AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var requestId: String?

    /// Creates an error.
    public init(status: Int, code: String, message: String, requestId: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    /// The error in an answer with HTTP `status` and `body`.
    public static func parse(status: Int, body: Data) -> AWSError {
        guard let root = XMLNode.parse(body), let error = root.find("Error") else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            let code = status >= 500 ? "InternalFailure" : "UnknownError"
            return AWSError(status: status, code: code, message: "HTTP \(status) without an AWS error: \(text.isEmpty ? "no body" : text)")
        }
        return AWSError(status: status, code: error.string("Code") ?? "UnknownError", message: error.string("Message") ?? "",
                        requestId: root.string("RequestId") ?? root.string("RequestID") ?? root.string("requestId"))
    }

    /// The code of the error a call gets when the endpoint cannot be reached at all.
    public static let unreachableCode = "EndpointUnreachable"

    /// Throttling, a 5xx, or a timeout: worth another try after a pause. An endpoint found
    /// unreachable is not: the connection was just tried.
    public var isRetryable: Bool {
        guard code != AWSError.unreachableCode else { return false }
        return status >= 500 || isThrottling || ["ServiceUnavailable", "InternalFailure", "InternalError"].contains(code)
    }

    /// AWS said the account asks too fast.
    public var isThrottling: Bool {
        status == 429 || ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled"].contains(code)
    }

    /// Credentials AWS does not accept.
    public var isAuthentication: Bool {
        ["AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException", "IncompleteSignature"].contains(code)
    }

    public var description: String {
        "\(code): \(message)" + (isAuthentication ? " (check the account's access key and secret)" : "") + " [HTTP \(status)]"
    }
}
