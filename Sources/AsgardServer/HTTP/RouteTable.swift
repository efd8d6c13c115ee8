import AsgardStore
import Hummingbird
import Logging

/// One registered endpoint: how it is reached and how it is documented.
struct Endpoint: Sendable {
    var method: HTTPRequest.Method
    /// The path as OpenAPI writes it, `.json` included where the JSON form has it.
    var documentedPath: String
    /// The paths registered with the router, in Hummingbird's syntax.
    var routerPaths: [String]
    /// Nil for pages that only answer HTML and are not part of the JSON API.
    var doc: EndpointDoc?
}

/// Registers routes with the router and remembers them for the OpenAPI document. Every handler
/// runs inside one error mapping, so each failure is answered the same way.
final class RouteTable {
    typealias Handler = @Sendable (RouteInput) async throws -> Response

    let router: Router<BasicRequestContext>
    private let renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response
    private(set) var endpoints: [Endpoint] = []

    init(router: Router<BasicRequestContext>, renderErrorPage: @escaping @Sendable (ConsoleError, RouteInput?) -> Response) {
        self.router = router
        self.renderErrorPage = renderErrorPage
    }

    /// Adds a JSON API endpoint that also has a page: `path` answers HTML to browsers, and
    /// `path.json` (or a last parameter ending in `.json`) answers JSON.
    func page(_ path: String, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        if path.hasSuffix("}") {
            register(.get, hb, jsonSuffix: false, handler: handler)
            endpoints.append(Endpoint(method: .get, documentedPath: path + ".json", routerPaths: [hb], doc: doc))
        } else {
            register(.get, hb, jsonSuffix: false, handler: handler)
            register(.get, hb + ".json", jsonSuffix: true, handler: handler)
            endpoints.append(Endpoint(method: .get, documentedPath: path + ".json", routerPaths: [hb, hb + ".json"], doc: doc))
        }
    }

    /// Adds a GET endpoint that answers JSON (or text) only.
    func get(_ path: String, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        register(.get, hb, jsonSuffix: path.hasSuffix(".json"), handler: handler)
        endpoints.append(Endpoint(method: .get, documentedPath: path, routerPaths: [hb], doc: doc))
    }

    /// Adds a mutation. A GET of the same path answers 405 saying to use POST.
    func post(_ path: String, doc: EndpointDoc, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        register(.post, hb, jsonSuffix: false, handler: handler)
        register(.get, hb, jsonSuffix: false) { _ in
            throw ConsoleError(.methodNotAllowed, "\(path) changes state: send it as POST")
        }
        endpoints.append(Endpoint(method: .post, documentedPath: path, routerPaths: [hb], doc: doc))
    }

    /// Adds a page that is not part of the JSON API (forms, redirects).
    func htmlOnly(_ path: String, method: HTTPRequest.Method = .get, handler: @escaping Handler) {
        let hb = RouteTable.routerPath(path)
        register(method, hb, jsonSuffix: false, handler: handler)
        endpoints.append(Endpoint(method: method, documentedPath: path, routerPaths: [hb], doc: nil))
    }

    /// `/task/show/{id}` in Hummingbird's syntax: `/task/show/:id`.
    static func routerPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    private func register(_ method: HTTPRequest.Method, _ path: String, jsonSuffix: Bool, handler: @escaping Handler) {
        let renderErrorPage = self.renderErrorPage
        let lastIsParameter = path.split(separator: "/").last?.hasPrefix(":") ?? false
        router.on(RouterPath(path), method: method) { request, context -> Response in
            var input: RouteInput?
            do {
                var parsed = try await RouteInput.read(request, context: context, jsonSuffix: jsonSuffix)
                if lastIsParameter, let last = request.uri.path.split(separator: "/").last, last.hasSuffix(".json") {
                    parsed = parsed.jsonForced()
                }
                input = parsed
                return try await handler(parsed)
            } catch let error as ConsoleError {
                return RouteTable.answer(error, input: input, request: request, renderErrorPage: renderErrorPage)
            } catch let error as StoreError {
                if let mapped = ConsoleError(error) {
                    return RouteTable.answer(mapped, input: input, request: request, renderErrorPage: renderErrorPage)
                }
                return RouteTable.internalError(error, context: context, input: input, request: request, renderErrorPage: renderErrorPage)
            } catch {
                return RouteTable.internalError(error, context: context, input: input, request: request, renderErrorPage: renderErrorPage)
            }
        }
    }

    private static func answer(_ error: ConsoleError, input: RouteInput?, request: Request,
                               renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response) -> Response {
        let wantsJSON = input?.wantsJSON ?? !(request.headers[.accept] ?? "").contains("text/html")
        return wantsJSON ? Responses.error(error) : renderErrorPage(error, input)
    }

    private static func internalError(_ error: any Error, context: BasicRequestContext, input: RouteInput?, request: Request,
                                      renderErrorPage: @Sendable (ConsoleError, RouteInput?) -> Response) -> Response {
        context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
        let failure = ConsoleError(.internal, "Internal error; quote request id \(context.id) when reporting it")
        let wantsJSON = input?.wantsJSON ?? !(request.headers[.accept] ?? "").contains("text/html")
        return wantsJSON ? Responses.error(failure, requestId: context.id) : renderErrorPage(failure, input)
    }
}

extension RouteInput {
    /// The same input, answering JSON.
    func jsonForced() -> RouteInput {
        RouteInput(request: request, context: context, fields: fields, body: body, wantsJSON: true)
    }
}
