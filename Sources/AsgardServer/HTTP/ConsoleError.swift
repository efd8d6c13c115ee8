import AsgardCloud
import AsgardCore
import AsgardStore
import HTTPTypes

/// An error answered to a client: a stable code, an HTTP status, and a message a person can
/// act on.
struct ConsoleError: Error, Sendable {
    /// The kinds of error and their HTTP statuses: the one mapping for the whole API.
    enum Code: String, Sendable {
        case invalidRequest
        case unauthenticated
        case forbidden
        case notFound
        case conflict
        case methodNotAllowed
        case payloadTooLarge
        case uriTooLong
        case tooManyRequests
        case unavailable
        /// A cloud's endpoint cannot be reached.
        case cloudUnavailable
        /// The shared database does not answer.
        case databaseUnavailable
        /// The data directory's disk is full.
        case insufficientStorage
        case `internal`

        var status: HTTPResponse.Status {
            switch self {
            case .invalidRequest: .badRequest
            case .unauthenticated: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .methodNotAllowed: .methodNotAllowed
            case .payloadTooLarge: .contentTooLarge
            case .uriTooLong: .uriTooLong
            case .tooManyRequests: .tooManyRequests
            case .unavailable, .cloudUnavailable, .databaseUnavailable: .serviceUnavailable
            case .insufficientStorage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
            case .internal: .internalServerError
            }
        }
    }

    var code: Code
    var message: String
    /// Every wrong field, for forms that show each message next to its field.
    var fieldErrors: [FieldError]

    /// Creates an error. Values a client sent are repeated in messages; each message is cut to
    /// `InputLimits.echoBytes` so that a huge value is not sent back, shown or audited whole.
    init(_ code: Code, _ message: String, fieldErrors: [FieldError] = []) {
        self.code = code
        self.message = InputLimits.echoed(message)
        self.fieldErrors = fieldErrors.map { FieldError(field: InputLimits.echoed($0.field), message: InputLimits.echoed($0.message)) }
    }

    init(_ failure: ValidationFailure) {
        self.init(.invalidRequest, failure.message, fieldErrors: failure.problems)
    }

    init(_ error: NamingError) {
        self.init(.invalidRequest, error.description, fieldErrors: [FieldError(field: error.field, message: error.message)])
    }

    /// Maps a store error, or nil when the error is not one the client can act on.
    init?(_ error: StoreError) {
        switch error.code {
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .unavailable: return nil
        case .databaseUnavailable: self.init(.databaseUnavailable, error.message)
        case .leaseLost: self.init(.conflict, error.message)
        }
    }

    /// Maps a cloud's error; every code is one the client can act on.
    init(_ error: CloudError) {
        switch error.code {
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .invalidRequest: self.init(.invalidRequest, error.message)
        case .throttled: self.init(.tooManyRequests, error.message)
        case .unavailable: self.init(.unavailable, error.message)
        case .unreachable: self.init(.cloudUnavailable, error.message)
        case .permissionDenied: self.init(.forbidden, error.message)
        }
    }

    static func notFound(_ message: String) -> ConsoleError { ConsoleError(.notFound, message) }
    /// `error` as the API answers it when it is a refusal the console knows (its own, a field's,
    /// a cloud's or the store's); nil for anything else, which is an internal error.
    static func mapping(_ error: any Error) -> ConsoleError? {
        switch error {
        case let error as ConsoleError: error
        case let error as FieldError: ConsoleError.invalid(error.field, error.message)
        case let error as CloudError: ConsoleError(error)
        case let error as StoreError: ConsoleError(error)
        default: nil
        }
    }

    static func invalid(_ field: String, _ message: String) -> ConsoleError {
        ConsoleError(.invalidRequest, "\(field): \(message)", fieldErrors: [FieldError(field: field, message: message)])
    }

    /// The message for a person reading a page: each field's problem as a sentence, without the
    /// API's `field:` prefix ("Image id is required: …", "Type the server group's name … to confirm").
    var plainMessage: String {
        guard !fieldErrors.isEmpty else { return message }
        return fieldErrors.map { problem in
            let text = problem.message
            let predicates = ["is ", "must ", "needs ", "has ", "takes ", "only "]
            let sentence = predicates.contains(where: text.hasPrefix) || text.hasPrefix("'") ? ConsoleError.words(problem.field) + " " + text : text
            return sentence.prefix(1).uppercased() + sentence.dropFirst() + (sentence.hasSuffix(".") ? "" : ".")
        }.joined(separator: " ")
    }

    /// A field's name as words: `imageId` → "image id".
    static func words(_ field: String) -> String {
        var out = ""
        for character in field {
            if character.isUppercase { out += " " + character.lowercased() } else { out.append(character) }
        }
        return out == "id" ? "id" : out.replacingOccurrences(of: " i d", with: " id")
    }
}
