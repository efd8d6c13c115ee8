import HTTPTypes
import Hummingbird

/// Adds the security headers every answer carries: no framing, no MIME sniffing, and a
/// Content-Security-Policy that allows scripts and styles only from the console itself (one
/// small script follows task logs live), and connections only back to it; and the request's id
/// (`X-Request-Id`).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        // The id the logs carry for this request (and a 500's body names), to find one from the other.
        response.headers[HTTPField.Name("X-Request-Id")!] = context.id
        return response
    }
}
