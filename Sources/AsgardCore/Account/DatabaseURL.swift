import Foundation

/// Where several consoles keep their shared state: `postgres://user:password@host:port/database`
/// (`postgresql://` too), with `?sslmode=disable|prefer|require` (default `prefer`, as libpq).
///
/// Its `description` never carries the password: logs, pages and JSON show `redacted`.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// Parses `text`.
    ///
    /// - Throws: `FieldError` (field `database.url`) saying what is wrong and what to write.
    public init(parsing text: String) throws(FieldError) {
        func fail(_ message: String) -> FieldError {
            FieldError(field: "database.url", message: message + "; write it as postgres://user:password@host:5432/database")
        }
        guard text.count <= 2048, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw fail("is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw fail("must start with postgres://, not \(scheme)://") }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else { throw fail("names no user") }
        guard let host = components.host, !host.isEmpty else { throw fail("names no host") }
        let port = components.port ?? 5432
        guard InputLimits.port.contains(port) else { throw fail("has port \(port), outside \(InputLimits.port.lowerBound)–\(InputLimits.port.upperBound)") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard let database = path.removingPercentEncoding, !database.isEmpty, !database.contains("/") else { throw fail("names no database") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw fail("has sslmode '\(item.value ?? "")'; use one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            default:
                throw fail("has an unknown parameter '\(item.name)'; only sslmode is read")
            }
        }
        self.user = user
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    public var description: String { redacted }
}
