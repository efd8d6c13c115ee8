import AsgardCore
import Foundation
import Hummingbird

/// What a route handler gets: the request's path parameters, fields, and the format the client
/// wants.
struct RouteInput: Sendable {
    let request: Request
    let context: ConsoleRequestContext
    /// Query parameters, overlaid with form or JSON body fields.
    let fields: FormFields
    /// The raw body, for endpoints that decode a JSON document of their own.
    let body: Data
    /// True when the client wants JSON: a `.json` suffix or `Accept: application/json`, and
    /// for POST anything but a browser form.
    var wantsJSON: Bool
    /// Who the request acts as; nil for anonymous reads.
    var principal: Principal? = nil
    /// What the handler tells the audit log.
    let audit = AuditNote()

    /// The client's address.
    var address: String { context.remoteAddress }

    /// Who the request acts as, for task records: the user's name, or `anonymous`.
    var userName: String { principal?.user.name.rawValue ?? "anonymous" }

    /// Checks that the request's user holds `permission`.
    ///
    /// - Throws: `ConsoleError` 401 when nobody is signed in, 403 when the user lacks the role.
    func require(_ permission: Permission) throws {
        guard let principal else {
            throw ConsoleError(.unauthenticated, "Sign in first: send 'Authorization: Bearer <token>' or log in at /auth/login")
        }
        guard principal.user.isAllowed(permission) else {
            throw ConsoleError(.forbidden, "User '\(principal.user.name)' lacks \(permission) and may not do this")
        }
    }

    /// A browser's destructive request must carry `confirm` with the object's `name` typed in
    /// (API clients confirm by sending the request).
    ///
    /// - Throws: `ConsoleError` 400 on the `confirm` field, saying what to type.
    func requireConfirmation(of name: String, _ what: String, action: String = "deletion", ignoringCase: Bool = false) throws {
        guard !wantsJSON else { return }
        let typed = fields["confirm"]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard ignoringCase ? typed.lowercased() == name.lowercased() : typed == name else {
            throw ConsoleError.invalid("confirm", "type the \(what)'s name '\(name)' to confirm the \(action)")
        }
    }

    /// A path parameter with any `.json` suffix removed, percent-decoded: a policy named
    /// `scale out` is asked for as `scale%20out`.
    func path(_ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        let value = raw.hasSuffix(".json") ? String(raw.dropLast(5)) : raw
        return value.removingPercentEncoding ?? value
    }

    /// The request path, for links back to the page.
    var pathString: String { request.uri.path }

    /// A cookie value, nil when absent.
    func cookie(_ name: String) -> String? {
        request.cookies[name]?.value
    }
}

extension RouteInput {
    /// Reads and decodes fields from a request.
    static func read(_ request: Request, context: ConsoleRequestContext, jsonSuffix: Bool) async throws -> RouteInput {
        let query = FormFields(urlEncoded: Substring(request.uri.query ?? ""))
        var fields = query
        var body = Data()
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if request.method == .post || request.method == .put {
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: 1 << 20)
            } catch {
                throw ConsoleError(.payloadTooLarge, "The request body is larger than 1 MiB")
            }
            body = Data(buffer.readableBytesView)
            if contentType.hasPrefix("application/json") {
                fields = query.merging(try FormFields(json: body))
            } else if !body.isEmpty {
                fields = query.merging(FormFields(urlEncoded: Substring(String(decoding: body, as: UTF8.self))))
            }
        }
        let accept = request.headers[.accept]?.lowercased() ?? ""
        let acceptsHTML = accept.contains("text/html")
        let acceptsJSON = accept.contains("application/json")
        var wantsJSON: Bool
        if jsonSuffix || fields["format"] == "json" {
            wantsJSON = true
        } else if request.method == .get || request.method == .head {
            wantsJSON = acceptsJSON && !acceptsHTML
        } else {
            wantsJSON = !acceptsHTML || acceptsJSON
        }
        return RouteInput(request: request, context: context, fields: fields, body: body, wantsJSON: wantsJSON)
    }
}
