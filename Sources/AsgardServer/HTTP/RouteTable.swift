import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The error `RequestSecurity.internalErrorPath` raises: one no mapping knows.
struct InjectedFault: Error {}

/// Who may reach an endpoint before its handler runs its own, finer checks.
enum Access: Sendable {
    /// Anyone: the login page, the health check, the stylesheet, the API document.
    case open
    /// Signed in, or anyone when anonymous reads are configured.
    case read
    /// Signed in; browser sessions must also send the form's CSRF token.
    case signedIn
}

/// One registered endpoint: how it is reached and how it is documented.
struct Endpoint: Sendable {
    var method: HTTPRequest.Method
    /// The path as OpenAPI writes it, `.json` included where the JSON form has it.
    var documentedPath: String
    /// The paths registered with the router, in Hummingbird's syntax.
    var routerPaths: [String]
    /// Nil for pages that only answer HTML and are not part of the JSON API.
    var doc: EndpointDoc?
    var access: Access
}

/// What every route shares for authentication and the audit log.
struct RequestSecurity: Sendable {
    let authenticator: Authenticator
    let audit: any AuthStore
    let now: @Sendable () -> Date
    /// The data directory's room: a change refused for the lack of it answers 507.
    let space: DataDirectorySpace
    /// A path that fails with an internal error, for tests of what a 500 tells
    /// (`ASGARD_FAULT_INTERNAL_ERROR_PATH`); nil in use.
    var internalErrorPath = ProcessInfo.processInfo.environment["ASGARD_FAULT_INTERNAL_ERROR_PATH"]
    /// The budget of requests without a signed-in user, per address.
    var anonymousLimit = AddressRateLimiter()
    /// A task's title, for the message a browser sees after a change.
    var taskTitle: @Sendable (Int64) async -> String? = { _ in nil }
}

/// The message a browser sees once, on the page a change sends it to: a cookie the next page
/// shows and clears.
enum Flash {
    static let cookie = "asgard_flash"

    /// What a change says it did: its task's title and number, or that it is done.
    static func message(task: Int64?, title: String?) -> String {
        guard let task else { return "Done." }
        return "Done: \(title ?? "the change") (task \(task))."
    }
}

/// Registers routes with the router and remembers them for the OpenAPI document. Every handler
/// runs inside one wrapper: credentials, access, CSRF, the error mapping, and the audit log.
final class RouteTable {
    typealias Handler = @Sendable (RouteInput) async throws -> Response

    let router: Router<ConsoleRequestContext>
    private let security: RequestSecurity
    private let renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response
    private(set) var endpoints: [Endpoint] = []
    /// `GET /path` for every route registered, so a mutation's 405 never shadows a page.
    private var registered: Set<String> = []

    init(router: Router<ConsoleRequestContext>, security: RequestSecurity,
         renderErrorPage: @escaping @Sendable (ConsoleError, RouteInput?) -> Response) {
        self.router = router
        self.security = security
        self.renderErrorPage = renderErrorPage
    }

    /// Adds a JSON API endpoint that also has a page: `path` answers HTML to browsers, and
    /// `path.json` (or a last parameter ending in `.json`) answers JSON.
    func page(_ path: String, access: Access = .read, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        var paths = [hb]
        if !path.hasSuffix("}") { paths.append(hb + ".json") }
        for p in paths { register(.get, p, access: access, jsonSuffix: p.hasSuffix(".json"), handler: handler) }
        endpoints.append(Endpoint(method: .get, documentedPath: path + ".json", routerPaths: paths, doc: doc, access: access))
    }

    /// Adds a GET endpoint that answers JSON (or text) only; its errors are JSON too.
    func get(_ path: String, access: Access = .read, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        register(.get, hb, access: access, jsonSuffix: true, handler: handler)
        endpoints.append(Endpoint(method: .get, documentedPath: path, routerPaths: [hb], doc: doc, access: access))
    }

    /// Adds a mutation. A GET of the same path answers 405 saying to use POST. Fields the
    /// document declares as single values are refused as lists or objects.
    func post(_ path: String, access: Access = .signedIn, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        let scalars = doc.parameters.filter { $0.location == .body && $0.type != "array" && $0.type != "object" }.map(\.name)
        let booleans = doc.parameters.filter { $0.location == .body && $0.type == "boolean" }.map(\.name)
        register(.post, hb, access: access, jsonSuffix: false) { input in
            var problems = input.fields.nonScalarProblems(scalars)
            // A flag is true or false: `force=1` must not quietly mean false.
            for key in booleans {
                if let value = input.fields[key], !["", "true", "false"].contains(value) {
                    problems.append(FieldError(field: key, message: "'\(value)' must be true or false"))
                }
            }
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            return try await handler(input)
        }
        if !registered.contains("GET \(hb)") {
            register(.get, hb, access: .open, jsonSuffix: false) { _ in
                throw ConsoleError(.methodNotAllowed, "\(path) changes state: send it as POST")
            }
        }
        endpoints.append(Endpoint(method: .post, documentedPath: path, routerPaths: [hb], doc: doc, access: access))
    }

    /// Adds a page that is not part of the JSON API (forms, redirects).
    func htmlOnly(_ path: String, method: HTTPRequest.Method = .get, access: Access = .read, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        register(method, hb, access: access, jsonSuffix: false, handler: handler)
        endpoints.append(Endpoint(method: method, documentedPath: path, routerPaths: [hb], doc: nil, access: access))
    }

    /// `/task/show/{id}` in Hummingbird's syntax: `/task/show/:id`.
    static func routerPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    private func register(_ method: HTTPRequest.Method, _ path: String, access: Access, jsonSuffix: Bool, handler: @escaping Handler) {
        let security = self.security
        let renderErrorPage = self.renderErrorPage
        registered.insert("\(method.rawValue) \(path)")
        let lastIsParameter = path.split(separator: "/").last?.hasPrefix(":") ?? false
        router.on(RouterPath(path), method: method) { request, context -> Response in
            // Requests without credentials spend the address's budget before any work; those with
            // credentials that turn out not to be valid spend it once they are known. Reads of the
            // open pages (the health check a monitor polls, the login page, the stylesheet) do not.
            let budgeted = !(access == .open && method == .get)
            let bare = request.headers[.authorization] == nil && request.cookies[Authenticator.sessionCookie] == nil
            if budgeted, bare, let refusal = RouteTable.overBudget(request, context: context, security: security) { return refusal }
            var input: RouteInput?
            var failure: ConsoleError?
            let response: Response
            do {
                var parsed = try await RouteInput.read(request, context: context, jsonSuffix: jsonSuffix)
                if lastIsParameter, let last = request.uri.path.split(separator: "/").last, last.hasSuffix(".json") {
                    parsed.wantsJSON = true
                }
                input = parsed
                parsed.principal = try await RouteTable.admit(parsed, access: access, security: security)
                input = parsed
                if let faulty = security.internalErrorPath, request.uri.path == faulty { throw InjectedFault() }
                response = try await handler(parsed)
            } catch let redirect as LoginRedirect {
                response = redirect.response
            } catch let error where StoreError.isDiskFull(error) {
                security.space.sawFull(at: security.now())
                let mapped = ConsoleError(.insufficientStorage, security.space.fullMessage)
                failure = mapped
                context.logger.error("A change failed: the data directory is full", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
                response = RouteTable.answer(mapped, input: input, request: request, renderErrorPage: renderErrorPage)
            } catch {
                if let mapped = ConsoleError.mapping(error) {
                    failure = mapped
                    response = RouteTable.answer(mapped, input: input, request: request, renderErrorPage: renderErrorPage)
                } else {
                    failure = ConsoleError(.internal, "Internal error; request id \(context.id)")
                    response = RouteTable.internalError(error, context: context, input: input, request: request, renderErrorPage: renderErrorPage)
                }
            }
            if budgeted, !bare, input?.principal == nil, let refusal = RouteTable.overBudget(request, context: context, security: security) {
                return refusal
            }
            if method == .post, (200..<400).contains(Int(response.status.code)) { security.space.sawWrite() }
            var answered = response
            if method == .post, response.status == .seeOther, failure == nil, let input, !input.wantsJSON, input.principal != nil {
                // A browser's change that succeeded says so on the page it is sent to.
                let task = input.audit.current.taskId
                let title = if let task { await security.taskTitle(task) } else { String?.none }
                answered.setCookie(Cookie(name: Flash.cookie, value: Secrets.formEncode(Flash.message(task: task, title: title)), maxAge: 60, path: "/",
                                          httpOnly: true, sameSite: .strict))
            }
            await RouteTable.recordAudit(method: method, request: request, context: context, input: input, response: response,
                                         failure: failure, security: security)
            return answered
        }
    }

    /// 429 when the address has spent its budget of requests without signing in; nil otherwise.
    private static func overBudget(_ request: Request, context: ConsoleRequestContext, security: RequestSecurity) -> Response? {
        guard let wait = security.anonymousLimit.take(context.remoteAddress, now: security.now()) else { return nil }
        var response = Responses.error(ConsoleError(.tooManyRequests,
            "Too many requests without signing in from \(context.remoteAddress); wait \(wait) s, or sign in (an API token or /auth/login)"))
        response.headers[.retryAfter] = String(wait)
        return response
    }

    /// Applies `access` and CSRF; answers the principal the handler acts as.
    private static func admit(_ input: RouteInput, access: Access, security: RequestSecurity) async throws -> Principal? {
        if access == .open {
            // Open endpoints still know who is signed in, for pages that greet them.
            if case .user(let principal) = try? await security.authenticator.identify(input.request) { return principal }
            return nil
        }
        let identity = try await security.authenticator.identify(input.request)
        switch identity {
        case .anonymous(let reason):
            if access == .read && security.authenticator.anonymousRead { return nil }
            if !input.wantsJSON && input.request.method == .get {
                throw LoginRedirect(next: input.request.uri.description, reason: reason)
            }
            throw ConsoleError(.unauthenticated, reason ?? "Sign in first: send 'Authorization: Bearer <token>' or log in at /auth/login")
        case .user(let principal):
            if access == .signedIn, input.request.method == .post, let expected = principal.csrfToken {
                let sent = input.fields["_csrf"] ?? input.request.headers[HTTPField.Name("X-CSRF-Token")!] ?? ""
                guard Secrets.constantTimeEqual(sent, expected) else {
                    throw ConsoleError(.forbidden, "The form is missing its CSRF token or it is stale; reload the page and submit again")
                }
            }
            return principal
        }
    }

    private static func answer(_ error: ConsoleError, input: RouteInput?, request: Request,
                               renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response) -> Response {
        let wantsJSON = input?.wantsJSON ?? !(request.headers[.accept] ?? "").contains("text/html")
        var response = wantsJSON ? Responses.error(error) : renderErrorPage(error, input)
        if error.code == .unauthenticated {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"asgard\""
        }
        return response
    }

    private static func internalError(_ error: any Error, context: ConsoleRequestContext, input: RouteInput?, request: Request,
                                      renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response) -> Response {
        context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
        let failure = ConsoleError(.internal, "Internal error; quote request id \(context.id) when reporting it")
        let wantsJSON = input?.wantsJSON ?? !(request.headers[.accept] ?? "").contains("text/html")
        return wantsJSON ? Responses.error(failure, requestId: context.id) : renderErrorPage(failure, input)
    }

    /// Appends every mutation, and every refused request, to the audit log.
    private static func recordAudit(method: HTTPRequest.Method, request: Request, context: ConsoleRequestContext, input: RouteInput?,
                                    response: Response, failure: ConsoleError?, security: RequestSecurity) async {
        let status = Int(response.status.code)
        let refused = status == 401 || status == 403
        guard (method == .post && status != 405) || refused else { return }
        let note = input?.audit.current ?? AuditNote.Content()
        let outcome: AuditOutcome
        switch status {
        case 200..<400: outcome = .succeeded
        case 401: outcome = .unauthenticated
        case 403: outcome = .forbidden
        case 400..<500: outcome = .rejected
        default: outcome = .failed
        }
        let taskId = note.taskId ?? response.headers[HTTPField.Name("X-Task-Id")!].flatMap { Int64($0) }
        let fieldName = input?.fields["name"].flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
        // What a client sent is audited up to InputLimits.echoBytes per field.
        let cut = InputLimits.echoed
        let entry = AuditDraft(
            time: security.now(), user: cut(note.user ?? input?.principal?.user.name.rawValue ?? "anonymous"),
            action: cut("\(method.rawValue) \(request.uri.path)"), objectType: note.objectType, objectId: (note.objectId ?? fieldName).map(cut),
            application: note.application.map(cut), address: context.remoteAddress, outcome: outcome, status: status, taskId: taskId,
            message: cut(failure?.message ?? note.message ?? (outcome == .succeeded ? "OK" : response.status.reasonPhrase)))
        do {
            try await security.audit.appendAudit(entry)
        } catch {
            context.logger.error("Cannot append to the audit log", metadata: ["error": "\(error)"])
        }
    }
}

/// Sends a browser that is not signed in to the login page, then back.
struct LoginRedirect: Error {
    var next: String
    var reason: String?

    var response: Response {
        var target = "/auth/login?next=" + Secrets.formEncode(next)
        if let reason { target += "&reason=" + Secrets.formEncode(reason) }
        return Responses.seeOther(target)
    }
}
