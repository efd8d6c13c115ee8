import AsgardCore
import AsgardStore

/// Who a request acts as, and how they proved it.
struct Principal: Sendable {
    /// The user, with the roles they hold now.
    var user: UserRecord
    /// The browser session, when signed in through the login page.
    var session: SessionRecord?
    /// The API token's name, when signed in with a token.
    var tokenName: String?

    /// The CSRF token forms of this session must carry; nil for token clients.
    var csrfToken: String? { session?.csrfToken }
}

/// The result of looking at a request's credentials.
enum Identity: Sendable {
    /// Signed in.
    case user(Principal)
    /// No credentials, or a browser session that ended; `reason` says why when there is one.
    case anonymous(reason: String?)
}
