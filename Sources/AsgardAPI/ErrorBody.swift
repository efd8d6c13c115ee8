/// The body of every error answer: `{"error": {"code": …, "message": …}}`.
public struct ErrorBody: Codable, Sendable, Hashable {
    /// The error itself.
    public struct Detail: Codable, Sendable, Hashable {
        /// A stable, machine-readable code such as `notFound`.
        public var code: String
        /// What went wrong and how to fix it.
        public var message: String
        /// The request field at fault, when one is.
        public var field: String?
        /// The request id to quote when reporting an internal error.
        public var requestId: String?

        /// Creates a detail.
        public init(code: String, message: String, field: String? = nil, requestId: String? = nil) {
            self.code = code
            self.message = message
            self.field = field
            self.requestId = requestId
        }
    }

    /// The error.
    public var error: Detail

    /// Wraps a detail.
    public init(error: Detail) {
        self.error = error
    }
}
