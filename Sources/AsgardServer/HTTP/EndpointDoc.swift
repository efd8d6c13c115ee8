/// How an endpoint is described in the OpenAPI document.
struct EndpointDoc: Sendable {
    /// Where a parameter goes.
    enum Location: String, Sendable {
        case path, query, body
    }

    /// One parameter or body field.
    struct Parameter: Sendable {
        var name: String
        var location: Location
        var description: String
        var required: Bool = false
        var type: String = "string"
    }

    /// One possible answer.
    struct Answer: Sendable {
        var status: Int
        var description: String
        /// A component schema name, `[Name]` for an array of it, or nil for no body.
        var schema: String?
        /// True when the body is plain text rather than JSON.
        var plainText = false
    }

    var summary: String
    var tag: String
    var parameters: [Parameter] = []
    /// A JSON schema component that the body must follow, for endpoints that take a document
    /// rather than fields.
    var bodySchema: String?
    var answers: [Answer] = []
}

extension EndpointDoc.Parameter {
    static func path(_ name: String, _ description: String) -> EndpointDoc.Parameter {
        EndpointDoc.Parameter(name: name, location: .path, description: description, required: true)
    }

    static func query(_ name: String, _ description: String, type: String = "string") -> EndpointDoc.Parameter {
        EndpointDoc.Parameter(name: name, location: .query, description: description, type: type)
    }

    static func field(_ name: String, _ description: String, required: Bool = false, type: String = "string") -> EndpointDoc.Parameter {
        EndpointDoc.Parameter(name: name, location: .body, description: description, required: required, type: type)
    }
}

extension EndpointDoc.Answer {
    static func ok(_ schema: String?, _ description: String = "Success") -> EndpointDoc.Answer {
        EndpointDoc.Answer(status: 200, description: description, schema: schema)
    }

    static let badRequest = EndpointDoc.Answer(status: 400, description: "Invalid input; the message names the field", schema: "Error")
    static let notFound = EndpointDoc.Answer(status: 404, description: "Not found", schema: "Error")
    static let conflict = EndpointDoc.Answer(status: 409, description: "Conflicts with the current state", schema: "Error")
}
